import { describe, expect, it } from 'vitest';
import type { api } from '../../sdk/index.ts';
import {
  desiredTaints,
  evictionOf,
  notReadyTaintKey,
  unknownConditions,
  unreachableTaintKey,
} from './node-health.ts';
import { nodeLifecycleOptions } from './options.ts';

const now = Date.parse('2026-01-01T00:10:00Z');
const t0 = '2026-01-01T00:00:00Z';
const node = (ready: string | undefined, taints?: { key: string; effect: string }[]): api.Node =>
  ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n' },
    spec: taints === undefined ? {} : { taints },
    status: {
      conditions:
        ready === undefined
          ? []
          : [
              { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: t0 },
              { type: 'Ready', status: ready, lastHeartbeatTime: t0 },
            ],
    },
  }) as api.Node;

describe('unknownConditions', () => {
  it('sets Ready and the pressure conditions to Unknown, adding missing ones', () => {
    const next = unknownConditions(node('True'), now) ?? [];
    expect(next.map((c) => [c.type, c.status])).toEqual([
      ['MemoryPressure', 'Unknown'],
      ['Ready', 'Unknown'],
      ['DiskPressure', 'Unknown'],
      ['PIDPressure', 'Unknown'],
    ]);
    const ready = next.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
      lastHeartbeatTime: t0,
      lastTransitionTime: '2026-01-01T00:10:00Z',
    });
  });

  it('changes nothing once every condition is Unknown', () => {
    const once = { ...node('True'), status: { conditions: unknownConditions(node('True'), now) } };
    expect(unknownConditions(once as api.Node, now)).toBeUndefined();
  });
});

describe('desiredTaints', () => {
  const keys = (taints: { key: string; effect: string }[] | undefined) =>
    taints?.map((t) => `${t.key}:${t.effect}`);
  it.each([
    [
      'Ready=Unknown',
      'Unknown',
      [],
      [`${unreachableTaintKey}:NoSchedule`, `${unreachableTaintKey}:NoExecute`],
    ],
    [
      'Ready=False',
      'False',
      [],
      [`${notReadyTaintKey}:NoSchedule`, `${notReadyTaintKey}:NoExecute`],
    ],
    [
      'Ready=True after unreachable (others kept)',
      'True',
      [
        { key: 'gpu', effect: 'NoSchedule' },
        { key: unreachableTaintKey, effect: 'NoSchedule' },
        { key: unreachableTaintKey, effect: 'NoExecute' },
      ],
      ['gpu:NoSchedule'],
    ],
    [
      'Ready=False after unreachable',
      'False',
      [{ key: unreachableTaintKey, effect: 'NoExecute' }],
      [`${notReadyTaintKey}:NoSchedule`, `${notReadyTaintKey}:NoExecute`],
    ],
  ])('%s', (_what, ready, taints, want) => {
    const next = desiredTaints(node(ready, taints), now);
    expect(keys(next)).toEqual(want);
    for (const t of next ?? [])
      if (t.key.startsWith('node.kubernetes.io/')) expect(t.timeAdded).toBe('2026-01-01T00:10:00Z');
  });

  it('is undefined when the taints already match', () => {
    expect(desiredTaints(node('True'), now)).toBeUndefined();
    const tainted = node('Unknown', desiredTaints(node('Unknown'), now));
    expect(desiredTaints(tainted, now)).toBeUndefined();
  });
});

describe('evictionOf', () => {
  const taint = (key: string, addedSecondsAgo: number) => ({
    key,
    effect: 'NoExecute',
    timeAdded: new Date(now - addedSecondsAgo * 1000).toISOString(),
  });
  const pod = (tolerations?: object[]): api.Pod =>
    ({ metadata: { name: 'p' }, spec: { containers: [], tolerations } }) as unknown as api.Pod;
  it.each([
    ['no NoExecute taint', pod(), [], 300, { evict: 'never' }],
    [
      'an untolerated NoExecute taint',
      pod(),
      [taint('dedicated', 0)],
      300,
      { evict: 'now', taint: 'dedicated:NoExecute' },
    ],
    [
      'no own toleration: the default, counted from timeAdded',
      pod(),
      [taint(unreachableTaintKey, 10)],
      300,
      { evict: 'at', atMs: now + 290_000 },
    ],
    [
      'the default already over',
      pod(),
      [taint(unreachableTaintKey, 10)],
      5,
      { evict: 'now', taint: 'toleration expired' },
    ],
    [
      'its own tolerationSeconds',
      pod([
        {
          key: unreachableTaintKey,
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 30,
        },
      ]),
      [taint(unreachableTaintKey, 10)],
      300,
      { evict: 'at', atMs: now + 20_000 },
    ],
    [
      'a toleration without seconds: for ever',
      pod([{ key: unreachableTaintKey, operator: 'Exists', effect: 'NoExecute' }]),
      [taint(unreachableTaintKey, 1000)],
      300,
      { evict: 'never' },
    ],
    [
      'tolerating everything',
      pod([{ operator: 'Exists' }]),
      [taint('dedicated', 0), taint(unreachableTaintKey, 1000)],
      300,
      { evict: 'never' },
    ],
    [
      'a value that does not match',
      pod([{ key: 'dedicated', operator: 'Equal', value: 'a', effect: 'NoExecute' }]),
      [{ ...taint('dedicated', 0), value: 'b' }],
      300,
      { evict: 'now', taint: 'dedicated:NoExecute' },
    ],
  ])('%s', (_what, p, taints, seconds, want) => {
    expect(evictionOf(p, taints, seconds, now)).toEqual(want);
  });
});

describe('nodeLifecycleOptions', () => {
  it('takes Kubernetes defaults and the plugin values over them', () => {
    expect(nodeLifecycleOptions({})).toEqual({
      nodeMonitorGracePeriodSeconds: 40,
      nodeMonitorPeriodSeconds: 5,
      defaultTolerationSeconds: 300,
    });
    expect(
      nodeLifecycleOptions({ nodeMonitorGracePeriodSeconds: 2 }).nodeMonitorGracePeriodSeconds,
    ).toBe(2);
  });

  it.each([
    [{ nodeMonitorGracePeriodSeconds: 0 }, /must be a positive number of seconds, got 0/],
    [{ defaultTolerationSeconds: '5' }, /must be a non-negative number of seconds, got "5"/],
    [{ gracePeriod: 4 }, /unknown value "gracePeriod"/],
  ])('refuses %j', (values, message) => {
    expect(() => nodeLifecycleOptions(values)).toThrow(message);
  });
});
