import { describe, expect, it } from 'vitest';
import type { NodeInfo, SchedulingPod } from '../../sdk/scheduler.ts';
import { makeNode, makePod, newState, nodeInfo } from './fixtures.ts';
import { interPodAffinity } from './inter-pod-affinity.ts';
import { podTopologySpread } from './topology-spread.ts';

const term = (app: string, topologyKey = 'zone') => ({
  labelSelector: { matchLabels: { app } },
  topologyKey,
});

function cluster(): NodeInfo[] {
  return [
    nodeInfo(makeNode('a1', { labels: { zone: 'a' } }), [makePod('db', { labels: { app: 'db' } })]),
    nodeInfo(makeNode('a2', { labels: { zone: 'a' } })),
    nodeInfo(makeNode('b1', { labels: { zone: 'b' } }), [
      makePod('web', { labels: { app: 'web' } }),
      makePod('guard', {
        labels: { app: 'guard' },
        affinity: {
          podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('batch')] },
        },
      }),
    ]),
    nodeInfo(makeNode('c1', { labels: { zone: 'c' } })),
    nodeInfo(makeNode('nolabel')),
  ];
}

async function verdicts(
  plugin: typeof interPodAffinity | typeof podTopologySpread,
  pod: SchedulingPod,
  nodes: NodeInfo[],
) {
  const state = newState();
  const pre = await plugin.preFilter(state, pod, nodes);
  if (pre.status.code === 'Skip') return 'skip';
  const out: Record<string, string> = {};
  for (const n of nodes) {
    const s = await plugin.filter(state, pod, n);
    out[n.node.metadata.name ?? ''] = s.code === 'Success' ? 'ok' : s.reasons.join();
  }
  return out;
}

describe('InterPodAffinity filter', () => {
  const aff = "node(s) didn't match pod affinity rules";
  const anti = "node(s) didn't match pod anti-affinity rules";
  const existing = "node(s) didn't satisfy existing pods anti-affinity rules";
  it.each([
    ['no terms and no guard skips', makePod('p'), 'skip'],
    [
      'affinity to db keeps the pod in zone a',
      makePod('p', {
        affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db')] } },
      }),
      { a1: 'ok', a2: 'ok', b1: aff, c1: aff, nolabel: aff },
    ],
    [
      'anti-affinity to web keeps the pod out of zone b',
      makePod('p', {
        affinity: {
          podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web')] },
        },
      }),
      { a1: 'ok', a2: 'ok', b1: anti, c1: 'ok', nolabel: 'ok' },
    ],
    [
      'an existing pod’s anti-affinity keeps batch pods out of its zone',
      makePod('p', { labels: { app: 'batch' } }),
      { a1: 'ok', a2: 'ok', b1: existing, c1: 'ok', nolabel: 'ok' },
    ],
    [
      'the first pod of a self-selecting group may go where the key exists',
      makePod('p', {
        labels: { app: 'cache' },
        affinity: {
          podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('cache')] },
        },
      }),
      { a1: 'ok', a2: 'ok', b1: 'ok', c1: 'ok', nolabel: aff },
    ],
    [
      'another namespace is not matched by default',
      makePod('p', {
        namespace: 'other',
        affinity: {
          podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web')] },
        },
      }),
      { a1: 'ok', a2: 'ok', b1: 'ok', c1: 'ok', nolabel: 'ok' },
    ],
  ])('%s', async (_n, pod, want) => {
    expect(await verdicts(interPodAffinity, pod, cluster())).toEqual(want);
  });
});

describe('PodTopologySpread filter', () => {
  const spread = (maxSkew: number, minDomains?: number) => [
    {
      maxSkew,
      topologyKey: 'zone',
      whenUnsatisfiable: 'DoNotSchedule',
      labelSelector: { matchLabels: { app: 'web' } },
      minDomains,
    },
  ];
  const nodes = (): NodeInfo[] => [
    nodeInfo(makeNode('a1', { labels: { zone: 'a' } }), [
      makePod('w1', { labels: { app: 'web' } }),
      makePod('w2', { labels: { app: 'web' } }),
    ]),
    nodeInfo(makeNode('b1', { labels: { zone: 'b' } }), [
      makePod('w3', { labels: { app: 'web' } }),
    ]),
    nodeInfo(makeNode('c1', { labels: { zone: 'c' } })),
    nodeInfo(makeNode('nolabel')),
  ];
  const skew = "node(s) didn't match pod topology spread constraints";
  const missing = `${skew} (missing required label)`;
  it.each([
    ['no constraints skip', makePod('p'), 'skip'],
    [
      'maxSkew 1 sends the pod to the empty zone',
      makePod('p', { labels: { app: 'web' }, spread: spread(1) }),
      { a1: skew, b1: skew, c1: 'ok', nolabel: missing },
    ],
    [
      'maxSkew 2 also admits zone b',
      makePod('p', { labels: { app: 'web' }, spread: spread(2) }),
      { a1: skew, b1: 'ok', c1: 'ok', nolabel: missing },
    ],
    [
      'a pod the selector misses counts itself as 0',
      makePod('p', { labels: { app: 'other' }, spread: spread(1) }),
      { a1: skew, b1: 'ok', c1: 'ok', nolabel: missing },
    ],
    [
      'minDomains above the domain count makes the minimum 0',
      makePod('p', { labels: { app: 'web' }, spread: spread(2, 5) }),
      { a1: skew, b1: 'ok', c1: 'ok', nolabel: missing },
    ],
  ])('%s', async (_n, pod, want) => {
    expect(await verdicts(podTopologySpread, pod, nodes())).toEqual(want);
  });
});

describe('PodTopologySpread nodeTaintsPolicy', () => {
  const nodes = (): NodeInfo[] => [
    nodeInfo(makeNode('a1', { labels: { zone: 'a' } }), [
      makePod('w1', { labels: { app: 'web' } }),
      makePod('w2', { labels: { app: 'web' } }),
    ]),
    nodeInfo(makeNode('b1', { labels: { zone: 'b' } }), [
      makePod('w3', { labels: { app: 'web' } }),
    ]),
    nodeInfo(
      makeNode('t1', {
        labels: { zone: 't' },
        taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }],
      }),
    ),
  ];
  const pod = (policy?: string) =>
    makePod('p', {
      labels: { app: 'web' },
      spread: [
        {
          maxSkew: 1,
          topologyKey: 'zone',
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { app: 'web' } },
          nodeTaintsPolicy: policy,
        },
      ],
    });
  const skew = "node(s) didn't match pod topology spread constraints";
  it.each([
    [
      'Ignore (default) counts the tainted empty zone: minimum 0',
      undefined,
      { a1: skew, b1: skew, t1: 'ok' },
    ],
    ['Honor leaves it out: minimum 1', 'Honor', { a1: skew, b1: 'ok', t1: 'ok' }],
  ])('%s', async (_n, policy, want) => {
    expect(await verdicts(podTopologySpread, pod(policy), nodes())).toEqual(want);
  });
});
