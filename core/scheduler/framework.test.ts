import { describe, expect, it } from 'vitest';
import {
  type AnySchedulerPlugin,
  type BindPlugin,
  type FilterPlugin,
  type QueueSortPlugin,
  type SchedulingNode,
  type SchedulingPod,
  status,
  success,
} from '../../sdk/scheduler.ts';
import { CycleStateMap, Framework } from './framework.ts';
import { CachedNodeInfo } from './node-info.ts';

// percentageOfNodesToScore: filtering stops once enough nodes fit, and the next cycle starts
// where the last one stopped, so every node gets its turn.

const fifo = { name: 'Fifo', less: () => false } satisfies QueueSortPlugin;
const bind = { name: 'Bind', bind: async () => success } satisfies BindPlugin;
const makeNode = (name: string): SchedulingNode => ({ metadata: { name } });
const makePod = (name: string): SchedulingPod => ({ metadata: { name, namespace: 'default' } });

function framework(percentage: number | undefined, filter: FilterPlugin): Framework {
  const registry = new Map<string, AnySchedulerPlugin>(
    [fifo, bind, filter].map((p) => [p.name, p]),
  );
  return new Framework(
    {
      schedulerName: 'default-scheduler',
      plugins: ['Fifo', filter.name, 'Bind'],
      percentageOfNodesToScore: percentage,
    },
    registry,
  );
}

const nodes = (n: number) =>
  Array.from({ length: n }, (_, i) => CachedNodeInfo.of(makeNode(`n${i}`)));

function counting(fits: (name: string) => boolean = () => true) {
  const seen: string[] = [];
  const filter = {
    name: 'Count',
    filter: (_s, _p, info) => {
      const name = info.node.metadata.name ?? '';
      seen.push(name);
      return fits(name) ? success : status('Unschedulable', 'no');
    },
  } satisfies FilterPlugin;
  return { seen, filter };
}

describe('Framework percentageOfNodesToScore', () => {
  it.each([
    // [nodes, configured share, nodes filtered per cycle]
    [50, undefined, 50],
    [200, 50, 100],
    [200, 10, 100],
    [1000, undefined, 420],
    [1000, 100, 1000],
  ])('%i nodes with share %s filter %i of them', async (n, pct, want) => {
    const { seen, filter } = counting();
    const result = await framework(pct, filter).schedule(
      new CycleStateMap(),
      makePod('p'),
      nodes(n),
    );
    expect(result.kind).toBe('placed');
    expect(seen).toHaveLength(want);
    expect(result.kind === 'placed' && result.evaluated).toBe(want);
  });

  it('starts each cycle where the last one stopped, wrapping round', async () => {
    const { seen, filter } = counting();
    const fw = framework(50, filter);
    const all = nodes(300);
    for (let i = 0; i < 3; i++) await fw.schedule(new CycleStateMap(), makePod(`p${i}`), all);
    expect(seen.slice(0, 150)).toEqual(all.slice(0, 150).map((n) => n.name));
    expect(seen.slice(150, 300)).toEqual(all.slice(150, 300).map((n) => n.name));
    expect(seen.slice(300)).toEqual(all.slice(0, 150).map((n) => n.name));
  });

  it('keeps looking past nodes that do not fit, and reports every node when none fits', async () => {
    const { seen, filter } = counting((name) => Number(name.slice(1)) % 2 === 0);
    const result = await framework(50, filter).schedule(
      new CycleStateMap(),
      makePod('p'),
      nodes(300),
    );
    // 150 fitting nodes are wanted and only every second node fits: the 150th is n298.
    expect(seen).toHaveLength(299);
    expect(result.kind).toBe('placed');
    const none = counting(() => false);
    const failed = await framework(10, none.filter).schedule(
      new CycleStateMap(),
      makePod('q'),
      nodes(300),
    );
    expect(none.seen).toHaveLength(300);
    expect(failed.kind === 'unschedulable' && failed.message).toBe(
      '0/300 nodes are available: 300 no.',
    );
  });
});
