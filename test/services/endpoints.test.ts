import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeSimulator } from '../../core/sim/simulator.ts';
import { runEndpointsController } from '../../plugins/controllers-endpoints/index.ts';
import type { api, KubeClient, RunningController } from '../../sdk/index.ts';
import { type ApiServer, startApiServer } from '../controller-kit/api-server.ts';

// The Endpoints and EndpointSlice controller against a real `skiff server` with simulated
// nodes (pods turn Running with an IP at once) and the real kubectl.

const kubectlPath = '/usr/bin/kubectl';
const ns = 'default';
const pods = { group: '', version: 'v1', plural: 'pods', namespace: ns };
const services = { group: '', version: 'v1', plural: 'services', namespace: ns };
const endpoints = { group: '', version: 'v1', plural: 'endpoints', namespace: ns };
const slices = {
  group: 'discovery.k8s.io',
  version: 'v1',
  plural: 'endpointslices',
  namespace: ns,
};

let server: ApiServer;
let client: KubeClient;
let sim: NodeSimulator;
let controller: RunningController;
let home: string;

const kubectl = (...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
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
      (err, stdout, stderr) =>
        resolve({
          code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1,
          stdout,
          stderr,
        }),
    );
  });

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

const webPod = (
  name: string,
  labels: Record<string, string> = { app: 'web' },
  nodeName = 'ep-1',
): api.Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: {
    nodeName,
    containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }],
  },
});

const service = (name: string, spec: api.Service['spec']): api.Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, labels: { tier: 'front' } },
  spec,
});

// A pod on a node nobody simulates: the test plays its kubelet and reports its status, since
// the simulator reports its own pods ready again whenever it finds them not ready.
const postStatus = (name: string, ip: string, ready: boolean) =>
  client.patch(
    pods,
    name,
    'merge',
    {
      status: {
        phase: 'Running',
        podIP: ip,
        podIPs: [{ ip }],
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      },
    },
    { subresource: 'status' },
  );

const addressesOf = async (name: string) => {
  const ep = await client.get<api.Endpoints>(endpoints, name);
  const s = ep.subsets ?? [];
  return {
    ready: s.flatMap((x) => (x.addresses ?? []).map((a) => a.targetRef?.name)).sort(),
    notReady: s.flatMap((x) => (x.notReadyAddresses ?? []).map((a) => a.targetRef?.name)).sort(),
    ports: s.flatMap((x) => x.ports ?? []),
  };
};

const sliceOf = async (service: string) => {
  const list = await client.list<api.EndpointSlice>(slices, {
    labelSelector: `kubernetes.io/service-name=${service}`,
  });
  return list.items;
};

beforeAll(async () => {
  if (!existsSync(kubectlPath))
    throw new Error(`these tests need the real kubectl at ${kubectlPath}, which is missing`);
  home = mkdtempSync(join(tmpdir(), 'skiff-ep-kubectl-'));
  server = await startApiServer();
  client = server.client();
  sim = new NodeSimulator({
    client,
    nodes: 1,
    namePrefix: 'ep-',
    cpu: '4',
    memory: '8Gi',
    pods: '50',
  });
  await sim.start();
  controller = runEndpointsController(client);
});

afterAll(async () => {
  await controller?.stop();
  await sim?.stop();
  client?.close();
  await server?.remove();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('Endpoints and EndpointSlice controller', () => {
  it('lists the ready pods a Service selects, with the named port resolved', async () => {
    for (const name of ['web-a', 'web-c']) await client.create(pods, webPod(name));
    await client.create(pods, webPod('web-b', { app: 'web' }, 'played-1'));
    await postStatus('web-b', '10.99.0.2', true);
    await client.create(pods, webPod('other', { app: 'other' }));
    await client.create(
      services,
      service('web', {
        selector: { app: 'web' },
        ports: [{ name: 'http', port: 80, targetPort: 'http' }],
      }),
    );
    const got = await until('three ready addresses', async () => {
      const a = await addressesOf('web');
      return a.ready.length === 3 ? a : undefined;
    });
    expect(got).toEqual({
      ready: ['web-a', 'web-b', 'web-c'],
      notReady: [],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
    const r = await kubectl('get', 'endpoints', 'web');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^web\s+\d+\.\d+\.\d+\.\d+:8080,\d+\.\d+\.\d+\.\d+:8080,\d+\.\d+\.\d+\.\d+:8080/m,
    );
    const d = await kubectl('describe', 'svc', 'web');
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/^Endpoints:\s+\d+\.\d+\.\d+\.\d+:8080,/m);
    expect((await client.get<api.Endpoints>(endpoints, 'web')).metadata?.labels).toEqual({
      tier: 'front',
      'endpoints.kubernetes.io/managed-by': 'endpoint-controller',
    });
    const [slice, ...more] = await sliceOf('web');
    expect(more).toEqual([]);
    expect(slice?.metadata?.labels).toMatchObject({
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      tier: 'front',
    });
    const svc = await client.get<api.Service>(services, 'web');
    expect(slice?.metadata?.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'Service',
        name: 'web',
        uid: svc.metadata?.uid,
        controller: true,
      }),
    ]);
    expect(slice?.addressType).toBe('IPv4');
    expect(slice?.endpoints.map((e) => e.targetRef?.name).sort()).toEqual([
      'web-a',
      'web-b',
      'web-c',
    ]);
    expect(slice?.endpoints.every((e) => e.conditions?.ready === true)).toBe(true);
    expect(slice?.endpoints.map((e) => e.nodeName).sort()).toEqual(['ep-1', 'ep-1', 'played-1']);
  });

  it('moves a pod whose Ready condition turns false to notReadyAddresses, and drops a deleted pod', async () => {
    await postStatus('web-b', '10.99.0.2', false);
    const got = await until('web-b not ready', async () => {
      const a = await addressesOf('web');
      return a.notReady.includes('web-b') ? a : undefined;
    });
    expect(got.ready).toEqual(['web-a', 'web-c']);
    await until('slice shows web-b not ready', async () => {
      const e = (await sliceOf('web'))[0]?.endpoints.find((x) => x.targetRef?.name === 'web-b');
      return e?.conditions?.ready === false ? true : undefined;
    });
    await client.delete(pods, 'web-c');
    await until('web-c gone', async () => {
      const a = await addressesOf('web');
      return !a.ready.includes('web-c') && !a.notReady.includes('web-c') ? true : undefined;
    });
    // A new matching pod joins.
    await client.create(pods, webPod('web-d'));
    await until('web-d ready', async () =>
      (await addressesOf('web')).ready.includes('web-d') ? true : undefined,
    );
  });

  it('publishNotReadyAddresses lists the not-ready pod as ready', async () => {
    await client.create(
      services,
      service('web-all', {
        selector: { app: 'web' },
        publishNotReadyAddresses: true,
        ports: [{ port: 80, targetPort: 8080 }],
      }),
    );
    const got = await until('all pods', async () => {
      const a = await addressesOf('web-all');
      return a.ready.includes('web-b') ? a : undefined;
    });
    expect(got.notReady).toEqual([]);
  });

  it('leaves the Endpoints of a Service without a selector alone, and removes them with a deleted Service', async () => {
    await client.create(services, service('manual', { ports: [{ port: 80 }] }));
    await client.create(endpoints, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'manual' },
      subsets: [{ addresses: [{ ip: '192.0.2.7' }], ports: [{ port: 80 }] }],
    } as api.Endpoints);
    // Another Service's change is processed after this one's, so this one's was seen too.
    await client.create(
      services,
      service('marker', { selector: { app: 'web' }, ports: [{ port: 81 }] }),
    );
    await until('marker endpoints', async () =>
      (await addressesOf('marker')).ready.length > 0 ? true : undefined,
    );
    expect((await addressesOf('manual')).ports).toEqual([{ port: 80, protocol: 'TCP' }]);
    expect(
      (await client.get<api.Endpoints>(endpoints, 'manual')).subsets?.[0]?.addresses?.[0]?.ip,
    ).toBe('192.0.2.7');
    expect(await sliceOf('manual')).toEqual([]);
    await client.delete(services, 'web-all');
    await until('web-all endpoints removed', async () => {
      const list = await client.list<api.Endpoints>(endpoints);
      return list.items.some((e) => e.metadata?.name === 'web-all') ? undefined : true;
    });
    await until('web-all slices removed', async () =>
      (await sliceOf('web-all')).length === 0 ? true : undefined,
    );
  });
});
