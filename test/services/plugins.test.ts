// controllers-endpoints and dns-cluster loaded by their built-in ids, their components run as
// `skiff up` runs them, against a real `skiff server`.
import 'reflect-metadata';
import { createSocket } from 'node:dgram';
import * as dns from 'dns-packet';
import { container } from 'tsyringe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedPlugins, loadPlugins } from '../../core/plugins/loader.ts';
import {
  type api,
  apiClientToken,
  componentExtension,
  isSkiffError,
  type KubeClient,
} from '../../sdk/index.ts';
import { type ApiServer, startApiServer } from '../controller-kit/api-server.ts';

const silent = { debug() {}, info() {}, warn() {}, error: console.error };
const services = { group: '', version: 'v1', plural: 'services', namespace: 'default' };
const endpoints = { group: '', version: 'v1', plural: 'endpoints', namespace: 'default' };
const systemEndpoints = { group: '', version: 'v1', plural: 'endpoints', namespace: 'kube-system' };

let server: ApiServer;
let client: KubeClient;
let loaded: LoadedPlugins | undefined;
const abort = new AbortController();
const runs: Promise<void>[] = [];

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch {
      // not there yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

function query(port: number, name: string): Promise<dns.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no answer'));
    }, 2000);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(dns.decode(msg));
    });
    socket.send(
      dns.encode({ type: 'query', id: 1, questions: [{ type: 'A', name }] }),
      port,
      '127.0.0.1',
    );
  });
}

beforeAll(async () => {
  server = await startApiServer();
  client = server.client();
}, 90_000);

afterAll(async () => {
  abort.abort();
  await Promise.all(runs);
  await loaded?.close();
  client?.close();
  await server?.remove();
});

describe('the Service plugins', () => {
  it('refuse a bad DNS config at load, naming the field', async () => {
    const parent = container.createChildContainer();
    parent.register(apiClientToken, { useValue: client });
    let caught: unknown;
    try {
      await loadPlugins({
        sources: [{ source: 'dns-cluster', config: { listen: 'port 53 please' } }],
        container: parent,
        logger: silent,
      });
    } catch (err) {
      caught = err;
    }
    expect(isSkiffError(caught)).toBe(true);
    expect((caught as Error).message).toContain('dns-cluster');
    expect((caught as Error).message).toContain('listen must be "host:port"');
  });

  it('provide component/endpoints and component/dns, which keep Endpoints and answer names', async () => {
    const parent = container.createChildContainer();
    parent.register(apiClientToken, { useValue: client });
    loaded = await loadPlugins({
      sources: [
        'controllers-endpoints',
        { source: 'dns-cluster', config: { listen: '127.0.0.1:0', upstreams: [] } },
      ],
      container: parent,
      logger: silent,
    });
    const components = loaded.extensions(componentExtension);
    expect([...components.keys()].sort()).toEqual(['dns', 'endpoints']);
    for (const c of components.values()) runs.push(c.run({ signal: abort.signal, logger: silent }));
    const made = await client.create<api.Service>(services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'api' },
      spec: { selector: { app: 'api' }, ports: [{ port: 80 }] },
    });
    // No pods yet: the controller still writes the (empty) Endpoints.
    await until('api endpoints', () => client.get(endpoints, 'api'));
    // The DNS server tells where it listens through kube-dns's Endpoints.
    const port = await until('kube-dns endpoints', async () => {
      const ep = await client.get<api.Endpoints>(systemEndpoints, 'kube-dns');
      return ep.subsets?.[0]?.ports?.[0]?.port;
    });
    const answer = await until('api resolves', async () => {
      const r = await query(port, 'api.default.svc.cluster.local');
      return (r.answers ?? []).length > 0 ? r : undefined;
    });
    expect((answer.answers?.[0] as { data?: string } | undefined)?.data).toBe(made.spec?.clusterIP);
  });
});
