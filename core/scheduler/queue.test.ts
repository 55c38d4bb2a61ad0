import { describe, expect, it } from 'vitest';
import type { SchedulingPod } from '../../sdk/scheduler.ts';
import { status } from '../../sdk/scheduler.ts';
import { fitErrorMessage, reasonHistogram } from './fit-error.ts';
import { numFeasibleNodesToFind } from './framework.ts';
import { SchedulingQueue } from './queue.ts';

const pod = (name: string, priority = 0): SchedulingPod => ({
  metadata: { name, namespace: 'default' },
  spec: { priority },
});
const byPriority = (a: SchedulingPod, b: SchedulingPod) =>
  (a.spec?.priority ?? 0) > (b.spec?.priority ?? 0);

describe('SchedulingQueue', () => {
  it('pops by QueueSort, then first come first served', async () => {
    const q = new SchedulingQueue(byPriority);
    q.add(pod('a', 1));
    q.add(pod('b', 5));
    q.add(pod('c', 1));
    q.add(pod('d', 9));
    const order: string[] = [];
    for (let i = 0; i < 4; i++) order.push((await q.pop())?.pod.metadata.name ?? '');
    expect(order).toEqual(['d', 'b', 'a', 'c']);
    q.close();
  });

  it('backs off 1 s, 2 s, 4 s ... up to 10 s per failed attempt', async () => {
    let now = 1_000_000;
    const q = new SchedulingQueue(byPriority, { now: () => now });
    q.add(pod('a'));
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const item = await q.pop();
      if (item === undefined) throw new Error('queue closed');
      q.requeueError(item);
      waits.push(item.backoffUntil - now);
      expect(q.counts()).toEqual({ active: 0, backoff: 1, unschedulable: 0 });
      now = item.backoffUntil;
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    q.close();
  });

  it('parks unschedulable pods until a cluster event, then moves them through back-off', async () => {
    let now = 0;
    const q = new SchedulingQueue(byPriority, { now: () => now });
    q.add(pod('a'));
    const item = await q.pop();
    if (item === undefined) throw new Error('queue closed');
    q.requeueUnschedulable(item, false);
    expect(q.counts()).toEqual({ active: 0, backoff: 0, unschedulable: 1 });
    q.moveAllToActiveOrBackoff();
    expect(q.counts()).toEqual({ active: 0, backoff: 1, unschedulable: 0 });
    now += 1000;
    expect(q.counts()).toEqual({ active: 1, backoff: 0, unschedulable: 0 });
    q.close();
  });

  it('forgets a deleted pod wherever it waits, and close ends a pending pop', async () => {
    const q = new SchedulingQueue(byPriority);
    q.add(pod('a'));
    q.delete('default/a');
    expect(q.counts().active).toBe(0);
    const waiting = q.pop();
    q.close();
    await expect(waiting).resolves.toBeUndefined();
  });
});

describe('numFeasibleNodesToFind', () => {
  it.each([
    [50, 0, 50],
    [100, 0, 100],
    [1000, 0, 420],
    [5000, 0, 500],
    [6000, 0, 300],
    [100_000, 0, 5000],
    [1000, 30, 300],
    [1000, 100, 1000],
    [200, 10, 100],
  ])('%d nodes at %d%% look for %d', (nodes, pct, want) => {
    expect(numFeasibleNodesToFind(nodes, pct)).toBe(want);
  });
});

describe('fit error message', () => {
  it('counts reasons per node and sorts them as strings', () => {
    const filtered = new Map([
      ['a', status('Unschedulable', 'Insufficient cpu', 'Insufficient memory')],
      [
        'b',
        status('UnschedulableAndUnresolvable', "node(s) didn't match Pod's node affinity/selector"),
      ],
      [
        'c',
        status('UnschedulableAndUnresolvable', "node(s) didn't match Pod's node affinity/selector"),
      ],
    ]);
    expect(reasonHistogram(filtered.values())).toEqual([
      '1 Insufficient cpu',
      '1 Insufficient memory',
      "2 node(s) didn't match Pod's node affinity/selector",
    ]);
    expect(fitErrorMessage({ numAllNodes: 3, filtered, postFilterMsg: 'preemption: x' })).toBe(
      "0/3 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 2 node(s) didn't match Pod's node affinity/selector. preemption: x.",
    );
    expect(fitErrorMessage({ numAllNodes: 2, filtered: new Map(), preFilterMsg: 'too big' })).toBe(
      '0/2 nodes are available: too big.',
    );
  });
});
