import { describe, expect, it } from 'vitest';
import type { NodeScore, SchedulingPod, ScorePlugin } from '../../sdk/scheduler.ts';
import { makeNode, makePod, newState, nodeInfo } from './fixtures.ts';
import { nodeAffinity } from './node-affinity.ts';
import { leastAllocated, nodeResourcesBalancedAllocation, nodeResourcesFit } from './resources.ts';
import { taintToleration } from './taint-toleration.ts';

async function scores(
  plugin: ScorePlugin,
  pod: SchedulingPod,
  infos: ReturnType<typeof nodeInfo>[],
) {
  const state = newState();
  const out: NodeScore[] = [];
  for (const info of infos) {
    const r = await plugin.score(state, pod, info);
    out.push({ name: info.node.metadata.name ?? '', score: r.score });
  }
  await plugin.normalizeScore?.(state, pod, out);
  return out.map((s) => s.score);
}

describe('LeastAllocated', () => {
  it.each([
    [0, 4000, 100],
    [1000, 4000, 75],
    [3000, 4000, 25],
    [4000, 4000, 0],
    [5000, 4000, 0],
    [100, 0, 0],
  ])('requested %d of %d scores %d', (req, cap, want) => {
    expect(leastAllocated(req, cap)).toBe(want);
  });

  it('averages cpu and memory, counting the pod itself and defaults for empty requests', async () => {
    // 4 cpu / 8Gi node, pod asks 1 cpu + 2Gi: cpu (3000*100/4000)=75, memory 75 → 75.
    const pod = makePod('p', { cpu: '1', memory: '2Gi' });
    const empty = nodeInfo(makeNode('a'));
    // A pod with no requests counts as 100m and 200Mi.
    const busy = nodeInfo(makeNode('b'), [makePod('q', { cpu: '2', memory: '4Gi' }), makePod('r')]);
    const [a, b] = await scores(nodeResourcesFit, pod, [empty, busy]);
    expect(a).toBe(75);
    // cpu: 4000-3100=900 → 22; memory: 8Gi - (6Gi+200Mi) → 1848Mi*100/8192Mi = 22 → 22.
    expect(b).toBe(22);
  });
});

describe('BalancedAllocation', () => {
  it.each([
    ['even use', { cpu: '2', memory: '4Gi' }, 100],
    ['cpu heavy', { cpu: '4', memory: '0' }, 50],
    ['half skew', { cpu: '2', memory: '0' }, 75],
  ])('%s', async (_n, req, want) => {
    const pod = makePod('p', req);
    const [s] = await scores(nodeResourcesBalancedAllocation, pod, [nodeInfo(makeNode('a'))]);
    expect(s).toBe(want);
  });
});

describe('NodeAffinity preferred terms', () => {
  it('scores by summed weights, normalized to the best node', async () => {
    const pod = makePod('p', {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 80,
              preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
            },
            {
              weight: 20,
              preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
            },
          ],
        },
      },
    });
    const got = await scores(nodeAffinity, pod, [
      nodeInfo(makeNode('both', { labels: { disk: 'ssd', zone: 'a' } })),
      nodeInfo(makeNode('ssd', { labels: { disk: 'ssd' } })),
      nodeInfo(makeNode('none')),
    ]);
    expect(got).toEqual([100, 80, 0]);
  });
});

describe('TaintToleration score', () => {
  it('ranks nodes lower the more PreferNoSchedule taints the pod does not tolerate', async () => {
    const soft = (key: string) => ({ key, value: 'v', effect: 'PreferNoSchedule' });
    const pod = makePod('p', {
      tolerations: [{ key: 'ok', operator: 'Exists', effect: 'PreferNoSchedule' }],
    });
    const got = await scores(taintToleration, pod, [
      nodeInfo(makeNode('clean')),
      nodeInfo(makeNode('one', { taints: [soft('x')] })),
      nodeInfo(makeNode('two', { taints: [soft('x'), soft('y')] })),
      nodeInfo(makeNode('tolerated', { taints: [soft('ok')] })),
    ]);
    expect(got).toEqual([100, 50, 0, 100]);
  });
});
