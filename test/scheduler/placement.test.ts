import { afterEach, describe, expect, it } from 'vitest';
import { defaultProfile } from '../../core/scheduler/default-profile.ts';
import type { Scheduler } from '../../core/scheduler/scheduler.ts';
import { makeNode, makePod } from '../../plugins/scheduler-default/fixtures.ts';
import { placement, startScheduler } from './harness.ts';

// End-to-end placement through the framework: real plugins, real queue and cache, an
// in-memory cluster standing in for the API server.

let running: Scheduler | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

function start(...args: Parameters<typeof startScheduler>) {
  const s = startScheduler(...args);
  running = s.scheduler;
  return s;
}

const hostnameAnti = (app: string) => ({
  podAntiAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: [
      { labelSelector: { matchLabels: { app } }, topologyKey: 'kubernetes.io/hostname' },
    ],
  },
});

describe('scheduler placement', () => {
  it('places by requests and reports the pod that fits nowhere in Kubernetes form', async () => {
    const { cluster, scheduler, errors } = start();
    cluster.putNode(makeNode('n1', { cpu: '1' }));
    cluster.putNode(makeNode('n2', { cpu: '1' }));
    for (const name of ['a', 'b', 'c']) cluster.putPod(makePod(name, { cpu: '600m' }));
    await scheduler.idle();
    const got = placement(cluster);
    const placed = [got.a, got.b, got.c].filter((n) => n !== '');
    expect(placed.sort()).toEqual(['n1', 'n2']);
    const loser = Object.keys(got).find((k) => got[k] === '') ?? '';
    const message =
      '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.';
    expect(cluster.condition(`default/${loser}`)).toEqual({
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message,
    });
    expect(cluster.events.filter((e) => e.reason === 'FailedScheduling')).toContainEqual({
      pod: `default/${loser}`,
      type: 'Warning',
      reason: 'FailedScheduling',
      message,
    });
    expect(cluster.events.filter((e) => e.reason === 'Scheduled')).toHaveLength(2);
    expect(errors).toEqual([]);
  });

  it('sums the reasons of several nodes as Kubernetes does', async () => {
    const { cluster, scheduler } = start();
    cluster.putNode(makeNode('n1', { cpu: '1', labels: { zone: 'a' } }));
    cluster.putNode(makeNode('n2', { labels: { zone: 'b' } }));
    cluster.putNode(makeNode('n3', { labels: { zone: 'b' } }));
    cluster.putPod(makePod('p', { cpu: '2', nodeSelector: { zone: 'a' } }));
    await scheduler.idle();
    expect(cluster.condition('default/p')?.message).toBe(
      "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.",
    );
  });

  it('honours nodeSelector and required node affinity', async () => {
    const { cluster, scheduler } = start();
    for (const [n, zone] of [
      ['n1', 'a'],
      ['n2', 'b'],
      ['n3', 'c'],
    ]) {
      cluster.putNode(makeNode(n ?? '', { labels: { zone: zone ?? '' } }));
    }
    cluster.putPod(makePod('sel', { nodeSelector: { zone: 'b' } }));
    cluster.putPod(
      makePod('aff', {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'zone', operator: 'In', values: ['c'] }] },
              ],
            },
          },
        },
      }),
    );
    await scheduler.idle();
    expect(placement(cluster)).toEqual({ sel: 'n2', aff: 'n3' });
  });

  it('spreads replicas with anti-affinity and follows pod affinity', async () => {
    const { cluster, scheduler } = start();
    for (const n of ['n1', 'n2', 'n3']) cluster.putNode(makeNode(n, { labels: { zone: n } }));
    for (const i of [1, 2, 3, 4]) {
      cluster.putPod(
        makePod(`web-${i}`, { labels: { app: 'web' }, affinity: hostnameAnti('web') }),
      );
    }
    await scheduler.idle();
    const got = placement(cluster);
    const nodes = Object.values(got).filter((n) => n !== '');
    expect(new Set(nodes).size).toBe(3);
    expect(nodes).toHaveLength(3);
    const loser = Object.keys(got).find((k) => got[k] === '');
    expect(cluster.condition(`default/${loser}`)?.message).toBe(
      // The placed replicas' own anti-affinity is checked first, as in Kubernetes.
      "0/3 nodes are available: 3 node(s) didn't satisfy existing pods anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
    );

    const target = got['web-1'];
    cluster.putPod(
      makePod('sidecar', {
        affinity: {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'zone' },
            ],
          },
        },
        nodeSelector: { zone: target ?? '' },
      }),
    );
    await scheduler.idle();
    expect(placement(cluster).sidecar).toBe(target);
  });

  it('keeps pods off tainted nodes unless they tolerate the taint', async () => {
    const { cluster, scheduler } = start();
    cluster.putNode(
      makeNode('gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
    );
    cluster.putNode(makeNode('plain', { cpu: '1' }));
    cluster.putPod(makePod('ordinary', { cpu: '500m' }));
    cluster.putPod(makePod('big', { cpu: '2' }));
    cluster.putPod(
      makePod('trainer', {
        cpu: '2',
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
      }),
    );
    await scheduler.idle();
    expect(placement(cluster)).toEqual({ ordinary: 'plain', big: '', trainer: 'gpu' });
    expect(cluster.condition('default/big')?.message).toBe(
      '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.',
    );
  });

  it('spreads pods evenly over zones with a topology spread constraint', async () => {
    const { cluster, scheduler } = start();
    for (const [n, zone] of [
      ['a1', 'a'],
      ['a2', 'a'],
      ['a3', 'a'],
      ['b1', 'b'],
      ['c1', 'c'],
    ]) {
      cluster.putNode(makeNode(n ?? '', { labels: { zone: zone ?? '' } }));
    }
    for (let i = 0; i < 6; i++) {
      cluster.putPod(
        makePod(`s${i}`, {
          labels: { app: 'spread' },
          spread: [
            {
              maxSkew: 1,
              topologyKey: 'zone',
              whenUnsatisfiable: 'DoNotSchedule',
              labelSelector: { matchLabels: { app: 'spread' } },
            },
          ],
        }),
      );
    }
    await scheduler.idle();
    const perZone: Record<string, number> = {};
    for (const node of Object.values(placement(cluster))) {
      const zone = cluster.nodes.get(node)?.metadata?.labels?.zone ?? 'none';
      perZone[zone] = (perZone[zone] ?? 0) + 1;
    }
    expect(perZone).toEqual({ a: 2, b: 2, c: 2 });
  });

  it('retries an unschedulable pod when a node that fits is added', async () => {
    const { cluster, scheduler } = start();
    cluster.putNode(makeNode('small', { cpu: '1' }));
    cluster.putPod(makePod('big', { cpu: '3' }));
    await scheduler.idle();
    expect(cluster.condition('default/big')?.reason).toBe('Unschedulable');
    expect(scheduler.queue.counts().unschedulable).toBe(1);
    cluster.putNode(makeNode('large', { cpu: '8' }));
    await new Promise((r) => setTimeout(r, 30)); // let the short test back-off expire
    await scheduler.idle();
    expect(placement(cluster).big).toBe('large');
    expect(cluster.condition('default/big')).toEqual({ type: 'PodScheduled', status: 'True' });
  });

  it('retries an unschedulable pod when a pod in its way is deleted', async () => {
    const { cluster, scheduler } = start();
    cluster.putNode(makeNode('only', { cpu: '1' }));
    cluster.putPod(makePod('first', { cpu: '800m' }));
    await scheduler.idle();
    cluster.putPod(makePod('second', { cpu: '800m' }));
    await scheduler.idle();
    expect(placement(cluster).second).toBe('');
    cluster.deletePod('default/first');
    await new Promise((r) => setTimeout(r, 30));
    await scheduler.idle();
    expect(placement(cluster).second).toBe('only');
  });

  it('leaves pods of another scheduler alone and serves each profile by schedulerName', async () => {
    const { cluster, scheduler } = start({
      profiles: [defaultProfile(), defaultProfile('team-b')],
    });
    cluster.putNode(makeNode('n1'));
    cluster.putPod(makePod('ours', {}));
    cluster.putPod(makePod('team', { schedulerName: 'team-b' }));
    cluster.putPod(makePod('theirs', { schedulerName: 'their-scheduler' }));
    await scheduler.idle();
    expect(placement(cluster)).toEqual({ ours: 'n1', team: 'n1', theirs: '' });
    expect(cluster.condition('default/theirs')).toBeUndefined();
    expect(cluster.events.some((e) => e.pod === 'default/theirs')).toBe(false);
  });

  it('schedules the higher-priority pod first', async () => {
    const { cluster, scheduler } = startWithPending();
    await scheduler.idle();
    expect(placement(cluster)).toEqual({ low: '', high: 'n1' });
  });

  it('binds no pod twice: a pod bound meanwhile by someone else is not rebound', async () => {
    const { cluster, scheduler } = start();
    cluster.putNode(makeNode('n1'));
    cluster.putPod(makePod('pre', { nodeName: 'n1', cpu: '3' }));
    cluster.putPod(makePod('next', { cpu: '2' }));
    await scheduler.idle();
    // The pre-bound pod counts against n1, so the next one does not fit.
    expect(placement(cluster)).toEqual({ pre: 'n1', next: '' });
    expect(cluster.bindings).toBe(0);
  });
});

function startWithPending() {
  // Pods exist before the scheduler starts, so both wait in the queue at once.
  const s = startScheduler({
    cluster: (() => {
      const { cluster, scheduler } = startScheduler();
      void scheduler.stop();
      cluster.putNode(makeNode('n1', { pods: '1' }));
      cluster.putPod(makePod('low', { priority: 1, created: '2026-01-01T00:00:00Z' }));
      cluster.putPod(makePod('high', { priority: 100, created: '2026-01-02T00:00:00Z' }));
      return cluster;
    })(),
  });
  running = s.scheduler;
  return s;
}

describe('scheduler retries on node changes that matter', () => {
  it('a node update that only touches status conditions leaves unschedulable pods parked; a new label frees them', async () => {
    const { cluster, scheduler } = start();
    const node = makeNode('n1');
    cluster.putNode(node);
    cluster.putPod(makePod('picky', { nodeSelector: { disk: 'ssd' } }));
    await scheduler.idle();
    expect(scheduler.queue.counts().unschedulable).toBe(1);
    cluster.putNode({
      ...node,
      status: { ...node.status, conditions: [{ type: 'Ready', status: 'True' }] },
    });
    expect(scheduler.queue.counts().unschedulable).toBe(1);
    cluster.putNode({
      ...node,
      metadata: { ...node.metadata, labels: { ...node.metadata.labels, disk: 'ssd' } },
    });
    await new Promise((r) => setTimeout(r, 30));
    await scheduler.idle();
    expect(placement(cluster).picky).toBe('n1');
  });
});
