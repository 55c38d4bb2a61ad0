import { afterEach, describe, expect, it } from 'vitest';
import type { Node } from '../../sdk/api/core/node.ts';
import type { Pod } from '../../sdk/api/core/pod.ts';
import {
  type AnySchedulerPlugin,
  type BindPlugin,
  type PermitPlugin,
  type QueueSortPlugin,
  type ReservePlugin,
  type ScorePlugin,
  status,
  success,
} from '../../sdk/scheduler.ts';
import { clusterBinder } from './cluster.ts';
import type { ProfilePluginRef } from './framework.ts';
import { MemoryCluster } from './memory-cluster.ts';
import { Scheduler } from './scheduler.ts';

// The framework's own behaviour with small inline plugins: Reserve/Unreserve, Permit, Bind,
// score weights and faults. Placement with the default plugins is tested under test/scheduler.

const fifo = { name: 'Fifo', less: () => false } satisfies QueueSortPlugin;
const node = (name: string, labels: Record<string, string> = {}): Node => ({
  metadata: { name, labels },
  status: { allocatable: { cpu: '1', memory: '1Gi', pods: '10' } },
});
const pod = (name: string): Pod => ({
  metadata: { name, namespace: 'default' },
  spec: { containers: [] },
});

let scheduler: Scheduler | undefined;
afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
});

function run(extra: AnySchedulerPlugin[], refs: ProfilePluginRef[], binder?: BindPlugin) {
  const cluster = new MemoryCluster();
  const bind =
    binder ??
    ({ name: 'Bind', bind: (_s, p, n) => clusterBinder(cluster).bind(p, n) } satisfies BindPlugin);
  const plugins = new Map<string, AnySchedulerPlugin>(
    [fifo, bind, ...extra].map((p) => [p.name, p]),
  );
  const errors: unknown[] = [];
  scheduler = new Scheduler({
    cluster,
    plugins,
    profiles: [{ schedulerName: 'default-scheduler', plugins: ['Fifo', ...refs, bind.name] }],
    queue: { initialBackoffMs: 5, maxBackoffMs: 10 },
    onError: (e) => errors.push(e),
  });
  scheduler.start();
  return { cluster, scheduler, errors };
}

function recorder() {
  const calls: string[] = [];
  const reserve = {
    name: 'Rec',
    async reserve(_s, p, n) {
      calls.push(`reserve ${p.metadata.name} ${n}`);
      return success;
    },
    async unreserve(_s, p, n) {
      calls.push(`unreserve ${p.metadata.name} ${n}`);
    },
  } satisfies ReservePlugin;
  return { calls, reserve };
}

const gate = {
  name: 'Gate',
  async permit() {
    return { status: status('Wait'), timeoutMs: 60_000 };
  },
} satisfies PermitPlugin;

describe('Scheduler framework cycles', () => {
  it('lets I/O in while it works through a long queue', async () => {
    const { cluster, scheduler } = run([], []);
    for (let n = 0; n < 20; n++) {
      cluster.putNode({
        metadata: { name: `n${n}` },
        status: { allocatable: { cpu: '100', memory: '100Gi', pods: '500' } },
      });
    }
    for (let i = 0; i < 3000; i++) cluster.putPod(pod(`p${i}`));
    // A macrotask probe: it only runs when the loop pauses for I/O.
    const seen: number[] = [];
    let probing = true;
    const probe = () => {
      seen.push(scheduler.cycles);
      if (probing) setImmediate(probe);
    };
    setImmediate(probe);
    await scheduler.idle();
    probing = false;
    expect(cluster.bindings).toBe(3000);
    const midway = seen.filter((c) => c > 0 && c < 3000);
    expect(midway.length).toBeGreaterThanOrEqual(2);
  });

  it('weights scores: the heavier plugin decides', async () => {
    const likes = (name: string, label: string) =>
      ({
        name,
        score: (_s, _p, info) => ({
          status: success,
          score: info.node.metadata.labels?.[label] ? 100 : 0,
        }),
      }) satisfies ScorePlugin;
    const { cluster, scheduler } = run(
      [likes('LikesA', 'a'), likes('LikesB', 'b')],
      [
        { name: 'LikesA', weight: 1 },
        { name: 'LikesB', weight: 3 },
      ],
    );
    cluster.putNode(node('na', { a: 'y' }));
    cluster.putNode(node('nb', { b: 'y' }));
    cluster.putPod(pod('p'));
    await scheduler.idle();
    expect(cluster.pods.get('default/p')?.spec?.nodeName).toBe('nb');
  });

  it('holds a pod at Permit until allowed, then binds it', async () => {
    const { cluster, scheduler } = run([gate], ['Gate']);
    cluster.putNode(node('n1'));
    cluster.putPod(pod('p'));
    for (let i = 0; i < 2000 && scheduler.waitingPods().length === 0; i++) {
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(scheduler.waitingPods()).toEqual(['default/p']);
    expect(cluster.pods.get('default/p')?.spec?.nodeName).toBeUndefined();
    expect(scheduler.allow('default/p', 'Gate')).toBe(true);
    await scheduler.idle();
    expect(cluster.pods.get('default/p')?.spec?.nodeName).toBe('n1');
  });

  it('a rejected Permit unreserves and reports the reason', async () => {
    const { calls, reserve } = recorder();
    const { cluster, scheduler } = run([reserve, gate], ['Rec', 'Gate']);
    cluster.putNode(node('n1'));
    cluster.putPod(pod('p'));
    for (let i = 0; i < 2000 && scheduler.waitingPods().length === 0; i++) {
      await new Promise((r) => setTimeout(r, 2));
    }
    scheduler.reject('default/p', 'Gate', 'quota exhausted');
    for (let i = 0; i < 2000 && cluster.condition('default/p') === undefined; i++) {
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(calls.slice(0, 2)).toEqual(['reserve p n1', 'unreserve p n1']);
    expect(cluster.condition('default/p')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message: 'quota exhausted',
    });
  });

  it('a failed bind unreserves, frees the node in the cache and retries with back-off', async () => {
    const { calls, reserve } = recorder();
    let refusals = 2;
    const flaky = {
      name: 'Flaky',
      async bind(_s, p, n) {
        calls.push(`bind ${p.metadata.name} ${n}`);
        if (refusals-- > 0) return status('Error', 'etcd unavailable');
        return cl.bind(p as Pod, n);
      },
    } satisfies BindPlugin;
    const { cluster: cl, scheduler } = run([reserve], ['Rec'], flaky);
    cl.putNode(node('n1'));
    cl.putPod(pod('p'));
    for (let i = 0; i < 2000 && cl.pods.get('default/p')?.spec?.nodeName === undefined; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(cl.pods.get('default/p')?.spec?.nodeName).toBe('n1');
    expect(calls).toEqual([
      'reserve p n1',
      'bind p n1',
      'unreserve p n1',
      'reserve p n1',
      'bind p n1',
      'unreserve p n1',
      'reserve p n1',
      'bind p n1',
    ]);
    expect(cl.events.filter((e) => e.reason === 'FailedScheduling').map((e) => e.message)).toEqual([
      'etcd unavailable',
      'etcd unavailable',
    ]);
    expect(scheduler.cache.node('n1')?.pods.map((p) => p.metadata.name)).toEqual(['p']);
  });

  it('a score outside 0..100 is a SchedulerError naming the plugin', async () => {
    const wild = {
      name: 'Wild',
      score: () => ({ status: success, score: 250 }),
    } satisfies ScorePlugin;
    const { cluster, scheduler } = run([wild], ['Wild']);
    cluster.putNode(node('n1'));
    cluster.putNode(node('n2'));
    cluster.putPod(pod('p'));
    await scheduler.idle();
    expect(cluster.condition('default/p')).toMatchObject({
      reason: 'SchedulerError',
      message:
        'plugin "Wild" returns an invalid score 250, it should be in the range of [0, 100] after normalizing',
    });
  });

  it('a plugin that throws is reported and the pod retried', async () => {
    let throws = 1;
    const boom = {
      name: 'Boom',
      filter: () => {
        if (throws-- > 0) throw new Error('kaboom');
        return success;
      },
    } satisfies AnySchedulerPlugin;
    const { cluster, errors } = run([boom], ['Boom']);
    cluster.putNode(node('n1'));
    cluster.putPod(pod('p'));
    for (let i = 0; i < 2000 && cluster.pods.get('default/p')?.spec?.nodeName === undefined; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(errors.map((e) => (e as Error).message)).toEqual(['kaboom']);
    expect(cluster.pods.get('default/p')?.spec?.nodeName).toBe('n1');
  });

  it('refuses a profile that names a plugin nobody provides', () => {
    expect(
      () =>
        new Scheduler({
          cluster: new MemoryCluster(),
          plugins: new Map([[fifo.name, fifo]]),
          profiles: [{ schedulerName: 'x', plugins: ['Fifo', 'Missing'] }],
        }),
    ).toThrow(
      'scheduler profile "x" names plugin "Missing", which no loaded plugin provides (known: Fifo)',
    );
  });
});
