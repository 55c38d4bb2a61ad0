// The agent's service proxy against a real `skiff server`: Services and EndpointSlices made
// through the API become iptables forwarding inside a network namespace (the iptables service
// type runs there), the load-balancer plugin gives the Service an address kubectl shows, and
// changes, deletions and a proxy restart converge.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceProxy } from '../../core/agent/proxy.ts';
import { runLoadBalancer } from '../../plugins/service-loadbalancer/index.ts';
import {
  type api,
  type Ipv4Cidr,
  type KubeClient,
  parseIpv4Cidr,
  type ServiceType,
} from '../../sdk/index.ts';
import { type ApiServer, startApiServer } from '../controller-kit/api-server.ts';
import {
  makeTopology,
  natTable,
  type ProxyChild,
  startProxyChild,
  type Topology,
} from './netns/topology.ts';

const kubectlPath = '/usr/bin/kubectl';
const services = { group: '', version: 'v1', plural: 'services', namespace: 'default' };
const slices = {
  group: 'discovery.k8s.io',
  version: 'v1',
  plural: 'endpointslices',
  namespace: 'default',
};
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let server: ApiServer;
let client: KubeClient;
let topo: Topology;
let child: ProxyChild;
let proxy: ServiceProxy | undefined;
let home: string;
const lbStop = new AbortController();
let lbDone: Promise<void> | undefined;

const inNamespace = (c: () => ProxyChild): ServiceType => ({
  capabilities: { types: ['ClusterIP', 'NodePort', 'LoadBalancer'], protocols: ['TCP'] },
  sync: (routes) => c().sync(routes),
  close: () => c().close(),
});

const kubectl = (...args: string[]) =>
  new Promise<string>((resolve, reject) => {
    execFile(
      kubectlPath,
      ['--cache-dir', join(home, 'cache'), ...args],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: home,
          KUBECONFIG: server.kubeconfig,
        },
      },
      (err, stdout, stderr) => (err ? reject(new Error(stderr || String(err))) : resolve(stdout)),
    );
  });

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function bodies(url: string, n: number, ns = topo.node): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) seen.add(await topo.get(ns, url));
  return seen;
}

const slice = (name: string, ip: string, port: number, ready = true): api.EndpointSlice => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name, labels: { 'kubernetes.io/service-name': 'web' } },
  addressType: 'IPv4',
  ports: [{ name: 'http', protocol: 'TCP', port }],
  endpoints: [{ addresses: [ip], conditions: { ready } }],
});

beforeAll(async () => {
  if (!existsSync(kubectlPath))
    throw new Error(`these tests need the real kubectl at ${kubectlPath}, which is missing`);
  home = mkdtempSync(join(tmpdir(), 'skiff-proxy-kubectl-'));
  topo = await makeTopology([8080, 9090]);
  child = startProxyChild(topo.node);
  server = await startApiServer();
  client = server.client();
  lbDone = runLoadBalancer(client, {
    pool: parseIpv4Cidr('127.0.1.0/24') as Ipv4Cidr,
    signal: lbStop.signal,
    logger: quiet,
  });
  proxy = new ServiceProxy({ client, types: [inNamespace(() => child)], settleMs: 20 });
  await proxy.start();
}, 120_000);

afterAll(async () => {
  await proxy?.close().catch(() => undefined);
  lbStop.abort();
  await lbDone;
  await child?.stop();
  await topo?.destroy();
  client?.close();
  await server?.remove();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('service proxy with a real API server', () => {
  let clusterIP = '';
  let nodePort = 0;
  let lbIP = '';

  it('forwards a LoadBalancer Service to its ready endpoints on cluster IP, node port and the pool address', async () => {
    const svc = await client.create<api.Service>(services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    clusterIP = svc.spec?.clusterIP ?? '';
    nodePort = svc.spec?.ports?.[0]?.nodePort ?? 0;
    expect(clusterIP).toMatch(/^10\.43\./);
    await client.create(slices, slice('web-a', topo.endpoints[0]!.ip, 8080));
    await client.create(slices, slice('web-b', topo.endpoints[1]!.ip, 9090));
    lbIP = await until('a load-balancer address', async () => {
      const s = await client.get<api.Service>(services, 'web');
      return s.status?.loadBalancer?.ingress?.[0]?.ip;
    });
    expect(lbIP).toBe('127.0.1.1');
    const table = await kubectl('get', 'svc', 'web');
    expect(table).toMatch(
      new RegExp(`web\\s+LoadBalancer\\s+${clusterIP}\\s+127\\.0\\.1\\.1\\s+80:${nodePort}/TCP`),
    );
    await until('both endpoints behind the cluster IP', async () => {
      const seen = await bodies(`http://${clusterIP}/`, 10);
      return seen.has('ep1') && seen.has('ep2') ? true : undefined;
    });
    expect(await topo.get(topo.node, `http://${lbIP}/`)).toMatch(/^ep[12]$/);
    expect(await topo.get(topo.client, `http://${topo.nodeIP}:${nodePort}/`)).toMatch(/^ep[12]$/);
  }, 90_000);

  it('stops sending to an endpoint once its slice says it is not ready', async () => {
    await client.update(slices, {
      ...(await client.get<api.EndpointSlice>(slices, 'web-b')),
      endpoints: [{ addresses: [topo.endpoints[1]!.ip], conditions: { ready: false } }],
    });
    await until('only ep1', async () => {
      const seen = await bodies(`http://${clusterIP}/`, 12);
      return seen.size === 1 && seen.has('ep1') ? true : undefined;
    });
  }, 60_000);

  it('converges after a restart: what changed while the proxy was down is applied', async () => {
    await proxy?.stop();
    await client.delete(services, 'web');
    await client.create<api.Service>(services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'api' },
      spec: { ports: [{ port: 81 }], clusterIP: '10.43.7.7' },
    });
    await client.create(slices, {
      ...slice('api-a', topo.endpoints[1]!.ip, 9090),
      metadata: { name: 'api-a', labels: { 'kubernetes.io/service-name': 'api' } },
      ports: [{ protocol: 'TCP', port: 9090 }],
    });
    // Forwarding stays in place while the proxy is away.
    expect(await topo.get(topo.node, `http://${clusterIP}/`)).toBe('ep1');
    proxy = new ServiceProxy({ client, types: [inNamespace(() => child)], settleMs: 20 });
    await proxy.start();
    expect(await topo.get(topo.node, 'http://10.43.7.7:81/')).toBe('ep2');
    expect(await topo.get(topo.node, `http://${clusterIP}/`)).toBe('FAIL');
    expect(await topo.get(topo.node, `http://${lbIP}/`)).toBe('FAIL');
    const table = await natTable(topo.node);
    expect(table).toContain('default/api cluster IP');
    expect(table).not.toContain('default/web');
  }, 60_000);

  it('takes the pool address back when a Service changes type or goes', async () => {
    const lbOf = async (name: string) =>
      (await client.get<api.Service>(services, name)).status?.loadBalancer?.ingress?.[0]?.ip;
    const make = (name: string) =>
      client.create<api.Service>(services, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name },
        spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
      });
    // web (deleted above) gave 127.0.1.1 back.
    await make('lb-a');
    expect(await until('lb-a address', () => lbOf('lb-a'))).toBe('127.0.1.1');
    await make('lb-b');
    expect(await until('lb-b address', () => lbOf('lb-b'))).toBe('127.0.1.2');
    await client.patch(services, 'lb-a', 'merge', { spec: { type: 'ClusterIP' } });
    await until('lb-a address cleared', async () =>
      (await lbOf('lb-a')) === undefined ? true : undefined,
    );
    expect(await kubectl('get', 'svc', 'lb-a')).toMatch(/lb-a\s+ClusterIP\s+\S+\s+<none>/);
    await make('lb-c');
    expect(await until('lb-c address', () => lbOf('lb-c'))).toBe('127.0.1.1');
    for (const name of ['lb-a', 'lb-b', 'lb-c']) await client.delete(services, name);
  }, 60_000);

  it('a deleted Service takes its chains along, and close() removes everything', async () => {
    await client.delete(services, 'api');
    await until('the chains of default/api gone', async () =>
      (await natTable(topo.node)).includes('default/api') ? undefined : true,
    );
    // The API server's own Service stays forwarded.
    expect(await natTable(topo.node)).toContain('default/kubernetes:https cluster IP');
    await proxy?.close();
    proxy = undefined;
    expect(await natTable(topo.node)).not.toContain('SKIFF');
  }, 60_000);
});
