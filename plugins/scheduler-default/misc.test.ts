import { describe, expect, it } from 'vitest';
import { type NodeScore, status, success } from '../../sdk/scheduler.ts';
import { defaultBinder, defaultPreemption } from './binder.ts';
import { makeNode, makePod, newState, nodeInfo } from './fixtures.ts';
import { interPodAffinity } from './inter-pod-affinity.ts';
import { prioritySort } from './node-basics.ts';
import { podTopologySpread } from './topology-spread.ts';

describe('PrioritySort', () => {
  const at = (created: string, priority?: number) => makePod('p', { created, priority });
  it.each([
    ['higher priority first', at('2026-01-02T00:00:00Z', 10), at('2026-01-01T00:00:00Z', 1), true],
    ['lower priority later', at('2026-01-01T00:00:00Z', 1), at('2026-01-02T00:00:00Z', 10), false],
    ['same priority, older first', at('2026-01-01T00:00:00Z'), at('2026-01-02T00:00:00Z'), true],
    ['same priority, newer later', at('2026-01-02T00:00:00Z'), at('2026-01-01T00:00:00Z'), false],
    ['equal pods are not less', at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:00Z'), false],
  ])('%s', (_n, a, b, want) => {
    expect(prioritySort.less(a, b)).toBe(want);
  });
});

describe('DefaultBinder', () => {
  it('binds through the registered binder and passes its refusal on', async () => {
    const calls: string[] = [];
    const binder = defaultBinder(() => ({
      async bind(pod, node) {
        calls.push(`${pod.metadata.name}->${node}`);
        return node === 'full' ? status('Error', 'pod p is already assigned') : success;
      },
    }));
    expect(await binder.bind(newState(), makePod('p'), 'n1')).toBe(success);
    expect((await binder.bind(newState(), makePod('p'), 'full')).reasons).toEqual([
      'pod p is already assigned',
    ]);
    expect(calls).toEqual(['p->n1', 'p->full']);
  });

  it('is an Error naming the missing token when no binder is registered', async () => {
    const s = await defaultBinder(() => undefined).bind(newState(), makePod('p'), 'n1');
    expect(s).toMatchObject({
      code: 'Error',
      reasons: ['DefaultBinder: no pod binder is registered (core.podBinder)'],
    });
  });
});

describe('DefaultPreemption', () => {
  it('reports per node whether evicting could help, in Kubernetes wording', async () => {
    const filtered = new Map([
      ['a', status('Unschedulable', 'Insufficient cpu')],
      ['b', status('UnschedulableAndUnresolvable', 'node(s) had untolerated taint {x: y}')],
      ['c', status('Unschedulable', 'Too many pods')],
    ]);
    const r = await defaultPreemption.postFilter(newState(), makePod('p'), filtered);
    expect(r.status.reasons).toEqual([
      'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod',
    ]);
  });
});

async function scoreAll(
  plugin: typeof interPodAffinity | typeof podTopologySpread,
  pod: ReturnType<typeof makePod>,
  infos: ReturnType<typeof nodeInfo>[],
) {
  const state = newState();
  await plugin.preFilter(state, pod, infos);
  const pre = await plugin.preScore(state, pod, infos);
  if (pre.code === 'Skip') return 'skip';
  const scores: NodeScore[] = [];
  for (const i of infos) {
    scores.push({
      name: i.node.metadata.name ?? '',
      score: (await plugin.score(state, pod, i)).score,
    });
  }
  await plugin.normalizeScore(state, pod, scores);
  return Object.fromEntries(scores.map((s) => [s.name, s.score]));
}

describe('preferred inter-pod affinity and soft spread scoring', () => {
  const zones = () => [
    nodeInfo(makeNode('a1', { labels: { zone: 'a' } }), [
      makePod('c1', { labels: { app: 'cache' } }),
      makePod('c2', { labels: { app: 'cache' } }),
    ]),
    nodeInfo(makeNode('b1', { labels: { zone: 'b' } }), [
      makePod('c3', { labels: { app: 'cache' } }),
    ]),
    nodeInfo(makeNode('c1', { labels: { zone: 'c' } })),
  ];
  const term = { labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'zone' };

  it('preferred affinity ranks zones by matching pods', async () => {
    const pod = makePod('p', {
      affinity: {
        podAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term }],
        },
      },
    });
    expect(await scoreAll(interPodAffinity, pod, zones())).toEqual({ a1: 100, b1: 50, c1: 0 });
  });

  it('preferred anti-affinity turns the ranking round', async () => {
    const pod = makePod('p', {
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term }],
        },
      },
    });
    expect(await scoreAll(interPodAffinity, pod, zones())).toEqual({ a1: 0, b1: 50, c1: 100 });
  });

  it('no preferred terms skip scoring', async () => {
    expect(await scoreAll(interPodAffinity, makePod('p'), zones())).toBe('skip');
  });

  it('ScheduleAnyway spread prefers the emptier zone', async () => {
    const pod = makePod('p', {
      labels: { app: 'cache' },
      spread: [
        {
          maxSkew: 1,
          topologyKey: 'zone',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: { app: 'cache' } },
        },
      ],
    });
    expect(await scoreAll(podTopologySpread, pod, zones())).toEqual({ a1: 0, b1: 50, c1: 100 });
  });
});
