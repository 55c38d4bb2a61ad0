// The node lifecycle controller, loaded by its built-in id with short periods, in the control
// plane `skiff up` runs (scheduler and workload controllers too), against a real `skiff server`
// and simulated nodes that act with credentials of their own: a node whose agent stops goes
// Unknown and tainted, its Deployment pods are evicted after their toleration and come back on
// the other node, and the node coming back drops the taints.
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { container } from 'tsyringe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { obtainNodeCredential } from '../../core/agent/join.ts';
import { type ControlPlane, startControlPlane } from '../../core/cli/commands/up-control-plane.ts';
import { type LoadedPlugins, loadPlugins } from '../../core/plugins/loader.ts';
import { NodeSimulator } from '../../core/sim/simulator.ts';
import { type api, apiClientToken, type KubeClient } from '../../sdk/index.ts';
import { type ApiServer, startApiServer } from '../controller-kit/api-server.ts';

const nodes = { group: '', version: 'v1', plural: 'nodes' };
const pods = { group: '', version: 'v1', plural: 'pods', namespace: 'default' };
const deployments = { group: 'apps', version: 'v1', plural: 'deployments', namespace: 'default' };
const unreachable = 'node.kubernetes.io/unreachable';
const silent = { debug() {}, info() {}, warn() {}, error: console.error };

let server: ApiServer;
let admin: KubeClient;
let sim: NodeSimulator | undefined;
let loaded: LoadedPlugins | undefined;
let control: ControlPlane | undefined;
const simErrors: string[] = [];

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `gave up waiting for ${what} (${String(last ?? 'no error')}); sim: ${simErrors.join('; ')}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

const appPods = async () => (await admin.list<api.Pod>(pods, { labelSelector: 'app=web' })).items;
const running = (p: api.Pod) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running';
const ready_ = (p: api.Pod) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status;
const eventReasons = async () =>
  (
    await admin.list<
      api.KubeObject & {
        involvedObject?: { kind?: string; name?: string };
        reason?: string;
        message?: string;
      }
    >({ group: '', version: 'v1', plural: 'events', namespace: 'default' })
  ).items.map(
    (e) => `${e.involvedObject?.kind}/${e.involvedObject?.name} ${e.reason} ${e.message}`,
  );

beforeAll(async () => {
  server = await startApiServer();
  admin = server.client();
  const joinToken = readFileSync(join(server.dataDir, 'node-token'), 'utf8').trim();
  const ca = readFileSync(join(server.dataDir, 'pki', 'ca.crt'), 'utf8');
  sim = new NodeSimulator({
    client: admin,
    nodes: 2,
    namePrefix: 'lc-',
    cpu: '4',
    memory: '8Gi',
    pods: '20',
    leaseDurationSeconds: 1,
    nodeClient: async (name) =>
      admin.withToken((await obtainNodeCredential(admin.server, joinToken, name, ca)).token ?? ''),
    onError: (m) => simErrors.push(m),
  });
  await sim.start();
  const parent = container.createChildContainer();
  parent.register(apiClientToken, { useValue: admin });
  loaded = await loadPlugins({
    sources: [
      'scheduler-default',
      'controllers-workloads',
      {
        source: 'controllers-nodelifecycle',
        // Short periods keep the test quick; the grace stays well above the 250 ms renewals
        // so a loaded machine does not make the healthy node look silent.
        config: {
          nodeMonitorGracePeriodSeconds: 8,
          nodeMonitorPeriodSeconds: 0.5,
          defaultTolerationSeconds: 2,
        },
      },
    ],
    container: parent,
    logger: silent,
  });
  control = startControlPlane(admin, loaded);
}, 120_000);

afterAll(async () => {
  await sim?.stop();
  await control?.stop();
  await loaded?.close();
  admin?.close();
  await server?.remove();
});

describe('node lifecycle', () => {
  it('runs as a controller of the control plane', () => {
    expect(control?.controllers).toContain('nodelifecycle');
  });

  it('the API server gives pods the default not-ready and unreachable tolerations', async () => {
    await admin.create(pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'probe' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    const pod = await admin.get<api.Pod>(pods, 'probe');
    expect(pod.spec?.tolerations).toEqual([
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      { key: unreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
    await admin.delete(pods, 'probe', { gracePeriodSeconds: 0 });
  });

  it('marks a silent node Unknown and tainted, evicts its pods after their toleration, and lets it come back', async () => {
    await admin.create<api.Deployment>(deployments, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [{ name: 'c', image: 'nginx:1' }],
            tolerations: [
              { key: unreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 },
            ],
          },
        },
      },
    });
    const placed = await until('3 running web pods', async () => {
      const items = (await appPods()).filter(running);
      return items.length === 3 ? items : undefined;
    });
    // The node with pods on it goes silent; the other one stays.
    const victim = placed[0]?.spec?.nodeName ?? '';
    const healthy = victim === 'lc-1' ? 'lc-2' : 'lc-1';
    const onVictim = placed.filter((p) => p.spec?.nodeName === victim).map((p) => p.metadata?.name);
    // A bare pod there keeps the 300 s default toleration: it must outlive the web pods.
    await admin.create(pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'patient' },
      spec: { nodeName: victim, containers: [{ name: 'c', image: 'busybox' }] },
    });
    await until('the patient pod running', async () =>
      running(await admin.get<api.Pod>(pods, 'patient')) ? true : undefined,
    );
    sim?.pause(victim);

    const tainted = await until(`${victim} Unknown and tainted`, async () => {
      const n = await admin.get<api.Node>(nodes, victim);
      const keys = (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`);
      return keys.includes(`${unreachable}:NoExecute`) ? n : undefined;
    });
    const ready = tainted.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
    });
    for (const type of ['MemoryPressure', 'DiskPressure', 'PIDPressure'])
      expect(tainted.status?.conditions?.find((c) => c.type === type)?.status).toBe('Unknown');
    const ours = (tainted.spec?.taints ?? []).filter((t) => t.key === unreachable);
    expect(ours.map((t) => t.effect).sort()).toEqual(['NoExecute', 'NoSchedule']);
    for (const t of ours) expect(Number.isNaN(Date.parse(t.timeAdded ?? ''))).toBe(false);

    // The web pods there are deleted; with the node's agent gone they stay Terminating, and
    // the ReplicaSet replaces them on the healthy node.
    const after = await until('3 running web pods on the healthy node', async () => {
      const items = await appPods();
      const live = items.filter(running);
      return live.length === 3 && live.every((p) => p.spec?.nodeName === healthy)
        ? items
        : undefined;
    });
    for (const name of onVictim) {
      const old = after.find((p) => p.metadata?.name === name);
      expect(old?.metadata?.deletionTimestamp, `${name} is Terminating`).toBeDefined();
    }
    // The pod that stays is marked not ready, so Services stop sending it traffic.
    const patient = await admin.get<api.Pod>(pods, 'patient');
    expect(patient.metadata?.deletionTimestamp).toBeUndefined();
    expect(ready_(patient)).toBe('False');
    const reasons = await eventReasons();
    expect(reasons).toContain(
      `Node/${victim} NodeNotReady Node ${victim} status is now: NodeNotReady`,
    );
    expect(reasons).toContain('Pod/patient NodeNotReady Node is not ready');
    for (const name of onVictim)
      expect(reasons).toContain(
        `Pod/${name} TaintManagerEviction Marking for deletion Pod default/${name}`,
      );

    // The node comes back: Ready again, taints gone, and its agent finishes the deletions.
    await sim?.resume(victim);
    await until(`${victim} Ready without the unreachable taints`, async () => {
      const n = await admin.get<api.Node>(nodes, victim);
      const isReady = n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      const left = (n.spec?.taints ?? []).filter((t) => t.key.startsWith('node.kubernetes.io/'));
      return isReady && left.length === 0 ? true : undefined;
    });
    await until('the evicted pods gone', async () => {
      const names = (await appPods()).map((p) => p.metadata?.name);
      return onVictim.every((n) => !names.includes(n)) ? true : undefined;
    });
    await until('the patient pod ready again', async () => {
      const p = await admin.get<api.Pod>(pods, 'patient');
      return running(p) && ready_(p) === 'True' ? true : undefined;
    });
  });

  it('a simulated node acts with its own credential: it cannot touch another node', async () => {
    const joinToken = readFileSync(join(server.dataDir, 'node-token'), 'utf8').trim();
    const ca = readFileSync(join(server.dataDir, 'pki', 'ca.crt'), 'utf8');
    const lc1 = admin.withToken(
      (await obtainNodeCredential(admin.server, joinToken, 'lc-1', ca)).token ?? '',
    );
    await lc1.patch(nodes, 'lc-1', 'merge', { metadata: { labels: { own: 'yes' } } });
    await expect(
      lc1.patch(nodes, 'lc-2', 'merge', { metadata: { labels: { own: 'no' } } }),
    ).rejects.toMatchObject({
      code: 'Forbidden',
      message: expect.stringMatching(
        /^nodes "lc-2" is forbidden: User "system:node:lc-1" cannot patch resource "nodes" in API group "" at the cluster scope/,
      ),
    });
    await expect(obtainNodeCredential(admin.server, 'wrong', 'lc-9', ca)).rejects.toMatchObject({
      code: 'Unauthorized',
    });
    expect(simErrors).toEqual([]);
  });
});
