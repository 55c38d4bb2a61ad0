import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { container } from 'tsyringe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { loadPlugins } from '../../core/plugins/loader.ts';
import { ensureIngressClass } from '../../plugins/ingress-http/default-class.ts';
import { type RunningIngressHttp, startIngressHttp } from '../../plugins/ingress-http/index.ts';
import {
  type api,
  apiClientToken,
  componentExtension,
  isSkiffError,
  type KubeClient,
  type Logger,
} from '../../sdk/index.ts';
import { type ApiServer, startApiServer } from '../controller-kit/api-server.ts';

// The ingress controller against a real `skiff server` and the real kubectl. Backends are HTTP
// servers on 127.0.0.1 that answer their own name; they stand behind Services without a
// selector whose Endpoints the test writes, so no container is needed.

const kubectlPath = '/usr/bin/kubectl';
// The seed manifests live outside the repository, where the other seed tests read them.
const seedPath = '/work/shared/manifests/seeds/ingress-extensions-v1beta1.yaml';
const ns = 'default';
const services = { group: '', version: 'v1', plural: 'services', namespace: ns };
const endpointsRef = { group: '', version: 'v1', plural: 'endpoints', namespace: ns };
const ingressClasses = { group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses' };
const ingressRef = {
  group: 'networking.k8s.io',
  version: 'v1',
  plural: 'ingresses',
  namespace: ns,
};

let server: ApiServer;
let client: KubeClient;
let ingress: RunningIngressHttp;
let home: string;
const backends = new Map<string, { server: Server; port: number }>();

const kubectl = (args: string[], stdin?: string) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      kubectlPath,
      ['--cache-dir', join(home, 'cache'), ...args],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: home,
          KUBECONFIG: server.kubeconfig,
        },
      },
      (err, stdout, stderr) =>
        resolve({
          code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1,
          stdout,
          stderr,
        }),
    );
    child.stdin?.end(stdin ?? '');
  });

async function apply(yaml: string): Promise<void> {
  const r = await kubectl(['apply', '-f', '-'], yaml);
  if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`);
}

/** get sends one request through the ingress; the answer is `status body`. */
function get(path: string, host = 'ingress.test'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: ingress.proxy.port, path, headers: { host }, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** expectRoute waits until the request answers `want` (caches follow the watch). */
const expectRoute = (path: string, want: string, host?: string) =>
  until(`${host ?? ''}${path} -> ${want}`, async () => {
    const got = await get(path, host);
    return got.startsWith(want) ? got : undefined;
  });

async function startBackend(name: string): Promise<number> {
  const srv = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`${name} ${req.url} ${req.headers['x-forwarded-host'] ?? ''}`);
  });
  await new Promise<void>((r) => srv.listen({ host: '127.0.0.1', port: 0 }, r));
  const port = (srv.address() as AddressInfo).port;
  backends.set(name, { server: srv, port });
  return port;
}

/** serviceFor makes a Service without selector on port 80 and its Endpoints. */
async function serviceFor(
  name: string,
  ready: number[],
  notReady: number[] = [],
  portName?: string,
): Promise<void> {
  await client.create(services, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { ports: [{ port: 80, ...(portName ? { name: portName } : {}) }] },
  } as api.Service);
  await client.create(endpointsRef, endpointsOf(name, ready, notReady, portName));
}

function endpointsOf(name: string, ready: number[], notReady: number[], portName?: string) {
  // Each backend has its own port; one subset per port, as the Endpoints API groups them.
  const subsets = [
    ...ready.map((port) => ({ addresses: [{ ip: '127.0.0.1' }], port })),
    ...notReady.map((port) => ({ notReadyAddresses: [{ ip: '127.0.0.1' }], port })),
  ].map(({ port, ...addrs }) => ({
    ...addrs,
    ports: [{ port, protocol: 'TCP', ...(portName ? { name: portName } : {}) }],
  }));
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: { name }, subsets } as api.Endpoints;
}

beforeAll(async () => {
  if (!existsSync(kubectlPath))
    throw new Error(`these tests need the real kubectl at ${kubectlPath}, which is missing`);
  if (!existsSync(seedPath)) throw new Error(`the seed manifest ${seedPath} is missing`);
  home = mkdtempSync(join(tmpdir(), 'skiff-ing-kubectl-'));
  server = await startApiServer();
  client = server.client();
  for (const n of ['service1', 'service2', 'service3'])
    await serviceFor(n, [await startBackend(n)]);
  ingress = await startIngressHttp(client, {
    host: '127.0.0.1',
    port: 0,
    controller: 'skiff.io/ingress-http',
    withoutClass: false,
    address: '127.0.0.1',
  });
  await ingress.ready;
  await apply(`apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: skiff
  annotations:
    ingressclass.kubernetes.io/is-default-class: "true"
spec:
  controller: skiff.io/ingress-http
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
spec:
  controller: k8s.io/ingress-nginx
`);
}, 90_000);

afterAll(async () => {
  await ingress?.stop();
  client?.close();
  await server?.remove();
  for (const b of backends.values()) b.server.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('ingress-http', () => {
  it('routes the seed extensions/v1beta1 ingress, applied unchanged, to service1..3', async () => {
    const r = await kubectl(['apply', '-f', seedPath]);
    expect(r.code, r.stderr).toBe(0);
    // The seed's rewrite-target annotation sends each service its root, query kept.
    await expectRoute('/service1', '200 service1 / ingress.test');
    await expectRoute('/service2/x?y=1', '200 service2 /?y=1');
    await expectRoute('/service3', '200 service3 /');
    expect(await get('/service4')).toMatch(/^404 /);
    expect(await get('/')).toMatch(/^404 /);
  });

  it('shows the node address in kubectl get ingress', async () => {
    const line = await until('ADDRESS of the seed ingress', async () => {
      const r = await kubectl(['get', 'ingress', 'ingress', '--no-headers']);
      return r.stdout.includes('127.0.0.1') ? r.stdout : undefined;
    });
    expect(line.split(/\s+/)[3]).toBe('127.0.0.1');
  });

  it('routes the same rules written as networking.k8s.io/v1', async () => {
    expect((await kubectl(['delete', 'ingress', 'ingress'])).code).toBe(0);
    await until('the seed ingress gone', async () =>
      (await get('/service1')).startsWith('404') ? true : undefined,
    );
    const seed = readFileSync(seedPath, 'utf8');
    expect(seed).toContain('serviceName: service1');
    const paths = ['service1', 'service2', 'service3']
      .map(
        (s) => `      - path: /${s}
        pathType: Prefix
        backend:
          service:
            name: ${s}
            port:
              number: 80`,
      )
      .join('\n');
    await apply(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ingress-v1
spec:
  ingressClassName: skiff
  rules:
  - http:
      paths:
${paths}
`);
    await expectRoute('/service1', '200 service1');
    await expectRoute('/service2/deeper', '200 service2 /service2/deeper');
    await expectRoute('/service3', '200 service3');
    expect(await get('/service1x')).toMatch(/^404 /);
  });

  it('prefers Exact over Prefix, the longest path, and precise hosts over wildcards', async () => {
    const file = join(home, 'hosts.yaml');
    writeFileSync(
      file,
      `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: hosts
spec:
  ingressClassName: skiff
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /cart, pathType: Exact, backend: {service: {name: service1, port: {number: 80}}}}
      - {path: /cart, pathType: Prefix, backend: {service: {name: service2, port: {number: 80}}}}
      - {path: /cart/items, pathType: ImplementationSpecific, backend: {service: {name: service3, port: {number: 80}}}}
  - host: "*.example.com"
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: service3, port: {number: 80}}}}
`,
    );
    const r = await kubectl(['apply', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    await expectRoute('/cart', '200 service1', 'shop.example.com');
    expect(await get('/cart/', 'shop.example.com')).toMatch(/^200 service2/);
    expect(await get('/cart/other', 'shop.example.com:8080')).toMatch(/^200 service2/);
    expect(await get('/cart/items/1', 'shop.example.com')).toMatch(/^200 service3/);
    // The host's own rules decide: neither the wildcard nor the rules without host step in.
    expect(await get('/cartoon', 'shop.example.com')).toMatch(/^404 /);
    expect(await get('/service1', 'shop.example.com')).toMatch(/^404 /);
    expect(await get('/cart', 'blog.example.com')).toMatch(/^200 service3/);
    // A wildcard matches one label only; without a host rule of its own, the rules without host
    // (ingress-v1) apply.
    expect(await get('/service2', 'a.blog.example.com')).toMatch(/^200 service2/);
    expect(await get('/cart', 'a.blog.example.com')).toMatch(/^404 /);
  });

  it('answers 503 while a backend service has no ready endpoint or does not exist', async () => {
    await serviceFor('empty', [], [await startBackend('never')]);
    await apply(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: broken
spec:
  ingressClassName: skiff
  rules:
  - host: broken.test
    http:
      paths:
      - {path: /empty, pathType: Prefix, backend: {service: {name: empty, port: {number: 80}}}}
      - {path: /missing, pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}}
      - {path: /badport, pathType: Prefix, backend: {service: {name: service1, port: {number: 81}}}}
`);
    const empty = await expectRoute('/empty', '503', 'broken.test');
    expect(empty).toContain('no ready endpoints');
    expect(await get('/missing', 'broken.test')).toMatch(/^503 .*missing does not exist/);
    expect(await get('/badport', 'broken.test')).toMatch(/^503 .*no port 81/);
  });

  it('serves only its own class and writes no status to the others', async () => {
    await apply(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: theirs
spec:
  ingressClassName: nginx
  rules:
  - host: theirs.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: service1, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: legacy
  annotations:
    kubernetes.io/ingress.class: skiff
spec:
  rules:
  - host: legacy.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: service2, port: {number: 80}}}}
`);
    await expectRoute('/', '200 service2', 'legacy.test');
    expect(await get('/', 'theirs.test')).toMatch(/^404 /);
    const legacy = await until('status of legacy', async () => {
      const i = await client.get<api.Ingress>(ingressRef, 'legacy');
      return i.status?.loadBalancer?.ingress?.length ? i : undefined;
    });
    expect(legacy.status?.loadBalancer?.ingress).toEqual([{ ip: '127.0.0.1' }]);
    const theirs = await client.get<api.Ingress>(ingressRef, 'theirs');
    expect(theirs.status?.loadBalancer?.ingress ?? []).toEqual([]);
    // Moving it to our class makes it ours.
    const r = await kubectl([
      'patch',
      'ingress',
      'theirs',
      '--type=merge',
      '-p',
      '{"spec":{"ingressClassName":"skiff"}}',
    ]);
    expect(r.code, r.stderr).toBe(0);
    await expectRoute('/', '200 service1', 'theirs.test');
    // And handing one to another class takes its address away.
    const moved = await kubectl([
      'patch',
      'ingress',
      'legacy',
      '--type=merge',
      '-p',
      '{"metadata":{"annotations":{"kubernetes.io/ingress.class":"nginx"}}}',
    ]);
    expect(moved.code, moved.stderr).toBe(0);
    await expectRoute('/', '404', 'legacy.test');
    await until('status of legacy cleared', async () => {
      const i = await client.get<api.Ingress>(ingressRef, 'legacy');
      return (i.status?.loadBalancer?.ingress ?? []).length === 0 ? true : undefined;
    });
  });

  it('uses the default backend when no rule matches', async () => {
    await apply(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: fallback
spec:
  ingressClassName: skiff
  defaultBackend: {service: {name: service3, port: {number: 80}}}
`);
    await expectRoute('/nowhere', '200 service3 /nowhere');
    expect(await get('/service1')).toMatch(/^200 service1/);
    expect((await kubectl(['delete', 'ingress', 'fallback'])).code).toBe(0);
    await expectRoute('/nowhere', '404');
  });

  it('spreads requests round-robin over ready endpoints by port name, and stops sending to one that turns not ready', async () => {
    const a = await startBackend('web-a');
    const b = await startBackend('web-b');
    await serviceFor('web', [a, b], [], 'http');
    await apply(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  ingressClassName: skiff
  rules:
  - host: web.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
`);
    await expectRoute('/', '200 web-', 'web.test');
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await get('/', 'web.test')).split(' ')[1] ?? '');
    expect([...seen].sort()).toEqual(['web-a', 'web-b']);

    const live = await client.get<api.Endpoints>(endpointsRef, 'web');
    await client.update(endpointsRef, {
      ...live,
      subsets: endpointsOf('web', [a], [b], 'http').subsets,
    } as api.Endpoints);
    // Once the change arrives, six requests in a row reach web-a only.
    await until('web-b out of rotation', async () => {
      const got = await Promise.all(Array.from({ length: 6 }, () => get('/', 'web.test')));
      return got.every((g) => g.startsWith('200 web-a')) ? true : undefined;
    });
    for (let i = 0; i < 6; i++) expect(await get('/', 'web.test')).toMatch(/^200 web-a/);
  });

  it('relays a WebSocket upgrade both ways, and refuses one without a route', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (sock, req) => {
      sock.on('message', (m) => sock.send(`echo ${req.url} ${String(m)}`));
    });
    try {
      await serviceFor('chat', [(wss.address() as AddressInfo).port]);
      await apply(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: chat
spec:
  ingressClassName: skiff
  rules:
  - host: chat.test
    http:
      paths:
      - {path: /chat, pathType: Prefix, backend: {service: {name: chat, port: {number: 80}}}}
`);
      const dial = (path: string) =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${ingress.proxy.port}${path}`, {
            headers: { host: 'chat.test' },
          });
          ws.once('open', () => resolve(ws));
          ws.once('unexpected-response', (_req, res) =>
            reject(new Error(`HTTP ${res.statusCode}`)),
          );
          ws.once('error', reject);
        });
      const ws = await until('the chat route', () => dial('/chat/room'));
      const reply = await new Promise<string>((resolve) => {
        ws.once('message', (m) => resolve(String(m)));
        ws.send('hello');
      });
      expect(reply).toBe('echo /chat/room hello');
      ws.close();
      await expect(dial('/elsewhere')).rejects.toThrow('HTTP 404');
    } finally {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
    }
  });
});

describe('the ingress-http plugin', () => {
  const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
  const load = (config: Record<string, unknown>) => {
    const parent = container.createChildContainer();
    parent.register(apiClientToken, { useValue: client });
    return loadPlugins({
      sources: [{ source: 'ingress-http', config }],
      container: parent,
      logger: silent,
    });
  };

  it('refuses a bad config at load, naming the field', async () => {
    const caught = await load({ listen: 'everywhere' }).catch((err: unknown) => err);
    expect(isSkiffError(caught)).toBe(true);
    expect((caught as Error).message).toContain('ingress-http');
    expect((caught as Error).message).toContain('listen must be "host:port"');
  });

  it('loads by its built-in id and runs as component/ingress-http on the configured port', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen({ host: '127.0.0.1', port: 0 }, r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const loaded = await load({ listen: `127.0.0.1:${port}`, address: '127.0.0.1' });
    const abort = new AbortController();
    let run: Promise<void> | undefined;
    try {
      const components = loaded.extensions(componentExtension);
      expect([...components.keys()]).toEqual(['ingress-http']);
      run = components.get('ingress-http')?.run({ signal: abort.signal, logger: silent });
      // Its caches hold the Ingresses above, so it answers like the controller under test.
      const answer = await until('the plugin answering', async () => {
        const got = await new Promise<string>((resolve, reject) => {
          const req = request(
            { host: '127.0.0.1', port, path: '/', headers: { host: 'web.test' }, agent: false },
            (res) => {
              res.resume();
              res.on('end', () => resolve(String(res.statusCode)));
            },
          );
          req.on('error', reject);
          req.end();
        });
        return got === '200' ? got : undefined;
      });
      expect(answer).toBe('200');
      // It made its own IngressClass; not the default one, since "skiff" above already is.
      const made = await client.get<api.IngressClass>(ingressClasses, 'skiff-http');
      expect(made.spec?.controller).toBe('skiff.io/ingress-http');
      expect(made.metadata?.annotations?.['ingressclass.kubernetes.io/is-default-class']).toBe(
        undefined,
      );
      expect(await ensureIngressClass(client, 'skiff-http', 'skiff.io/ingress-http')).toBe(
        'exists',
      );
    } finally {
      abort.abort();
      await run;
      await loaded.close();
    }
  });
});
