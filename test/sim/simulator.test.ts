import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeSimulator } from '../../core/sim/simulator.ts';
import type { KubeObject } from '../../sdk/api/meta.ts';
import type { KubeClient } from '../../sdk/client/client.ts';
import { type ApiServer, startApiServer } from '../controller-kit/api-server.ts';

// The simulator in this process against a real `skiff server`: Lease renewals, pods on other
// nodes left alone, and a second simulator over the same nodes taking them over.

const pods = { group: '', version: 'v1', plural: 'pods', namespace: 'default' };
const leases = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  namespace: 'kube-node-lease',
};

let server: ApiServer;
let client: KubeClient;
const running: NodeSimulator[] = [];
const errors: string[] = [];

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function simulate(prefix: string, nodes: number): Promise<NodeSimulator> {
  const sim = new NodeSimulator({
    client,
    nodes,
    namePrefix: prefix,
    cpu: '2',
    memory: '4Gi',
    pods: '10',
    leaseDurationSeconds: 2,
    onError: (m) => errors.push(m),
  });
  running.push(sim);
  await sim.start();
  return sim;
}

const pod = (name: string, nodeName: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] },
});

const phase = async (name: string) =>
  ((await client.get(pods, name)).status as { phase?: string } | undefined)?.phase;

beforeAll(async () => {
  server = await startApiServer();
  client = server.client();
});

afterAll(async () => {
  for (const sim of running) await sim.stop();
  client?.close();
  await server?.remove();
});

describe('NodeSimulator', () => {
  it('renews every Lease in its loop', async () => {
    await simulate('renew-', 2);
    const renewTime = async (n: string) =>
      ((await client.get(leases, n)).spec as { renewTime: string }).renewTime;
    const first = await renewTime('renew-2');
    const later = await until('a renewal', async () => {
      const t = await renewTime('renew-2');
      return t !== first ? t : undefined;
    });
    expect(Date.parse(later)).toBeGreaterThan(Date.parse(first));
  });

  it('leaves pods of nodes it does not simulate alone', async () => {
    await simulate('mine-', 1);
    await client.create(pods, pod('theirs', 'someone-else'));
    await client.create(pods, pod('ours', 'mine-1'));
    await until('ours Running', async () =>
      (await phase('ours')) === 'Running' ? true : undefined,
    );
    expect(await phase('theirs')).not.toBe('Running');
    // A graceful delete of a pod on another node stays marked, not removed.
    await client.delete(pods, 'theirs');
    const marked = await client.get(pods, 'theirs');
    expect(marked.metadata?.deletionTimestamp).toBeDefined();
  });

  it('a second simulator over the same nodes takes them over', async () => {
    const first = await simulate('again-', 1);
    await client.create(pods, pod('before', 'again-1'));
    await until('before Running', async () =>
      (await phase('before')) === 'Running' ? true : undefined,
    );
    await first.stop();
    await client.create(pods, pod('while-away', 'again-1'));
    expect(await phase('while-away')).not.toBe('Running');
    await simulate('again-', 1);
    await until('while-away Running', async () =>
      (await phase('while-away')) === 'Running' ? true : undefined,
    );
    // The address of the pod started by the first simulator is not handed out again.
    const ipOf = async (n: string) =>
      ((await client.get(pods, n)).status as { podIP: string }).podIP;
    expect(await ipOf('while-away')).not.toBe(await ipOf('before'));
    await client.delete(pods, 'while-away');
    await until('while-away removed', async () => {
      const list = await client.list(pods);
      return list.items.some((p) => p.metadata?.name === 'while-away') ? undefined : true;
    });
    expect(errors).toEqual([]);
  });
});
