import { describe, expect, it } from 'vitest';
import type { api } from '../../sdk/index.ts';
import {
  deploymentStatus,
  noDeadline,
  progressDeadlineInMs,
  progressingCondition,
} from './deployment-status.ts';

type Condition = NonNullable<NonNullable<api.Deployment['status']>['conditions']>[number];

const t0 = Date.parse('2026-01-01T00:00:00Z');
const stamp = (ms: number) => new Date(t0 + ms).toISOString().replace(/\.\d+Z$/, 'Z');
const rs = (replicas: number, available: number): api.ReplicaSet => ({
  metadata: { name: 'web-abc' },
  spec: { selector: {}, replicas },
  status: { replicas, readyReplicas: available, availableReplicas: available },
});
const progressing = (reason: string, status = 'True', updatedAtMs = 0): Condition => ({
  type: 'Progressing',
  status,
  reason,
  message: 'before',
  lastUpdateTime: stamp(updatedAtMs),
  lastTransitionTime: stamp(0),
});
const deployment = (
  cond: Condition | undefined,
  stored: { replicas: number; updated: number; available: number },
  spec: Partial<NonNullable<api.Deployment['spec']>> = {},
): api.Deployment => ({
  metadata: { name: 'web', generation: 1 },
  spec: { replicas: 2, selector: {}, template: {}, progressDeadlineSeconds: 10, ...spec },
  status: {
    observedGeneration: 1,
    replicas: stored.replicas,
    updatedReplicas: stored.updated,
    readyReplicas: stored.available,
    availableReplicas: stored.available,
    unavailableReplicas: stored.replicas - stored.available,
    conditions: [
      {
        type: 'Available',
        status: 'False',
        reason: 'MinimumReplicasUnavailable',
        message: 'Deployment does not have minimum availability.',
        lastUpdateTime: stamp(0),
        lastTransitionTime: stamp(0),
      },
      ...(cond === undefined ? [] : [cond]),
    ],
  },
});
const progressOf = (s: ReturnType<typeof deploymentStatus>) =>
  s?.conditions?.find((c) => c.type === 'Progressing');

describe('the Progressing condition and the progress deadline', () => {
  it.each([
    [
      'no progress past the deadline times out',
      deployment(progressing('ReplicaSetUpdated'), { replicas: 2, updated: 2, available: 0 }),
      rs(2, 0),
      11_000,
      ['False', 'ProgressDeadlineExceeded', 'ReplicaSet "web-abc" has timed out progressing.'],
    ],
    [
      'progress renews the clock instead',
      deployment(progressing('ReplicaSetUpdated'), { replicas: 2, updated: 2, available: 0 }),
      rs(2, 1),
      11_000,
      ['True', 'ReplicaSetUpdated', 'ReplicaSet "web-abc" is progressing.'],
    ],
    [
      'a finished rollout is NewReplicaSetAvailable',
      deployment(progressing('ReplicaSetUpdated'), { replicas: 2, updated: 2, available: 1 }),
      rs(2, 2),
      11_000,
      ['True', 'NewReplicaSetAvailable', 'ReplicaSet "web-abc" has successfully progressed.'],
    ],
    [
      'a paused deployment never times out',
      deployment(
        progressing('ReplicaSetUpdated'),
        { replicas: 2, updated: 2, available: 0 },
        { paused: true },
      ),
      rs(2, 0),
      100_000,
      ['Unknown', 'DeploymentPaused', 'Deployment is paused'],
    ],
    [
      'a resumed deployment says so',
      deployment(progressing('DeploymentPaused', 'Unknown'), {
        replicas: 2,
        updated: 2,
        available: 0,
      }),
      rs(2, 0),
      100_000,
      ['Unknown', 'DeploymentResumed', 'Deployment is resumed'],
    ],
    [
      'a rollout without the condition found its new set',
      deployment(undefined, { replicas: 2, updated: 2, available: 0 }),
      rs(2, 0),
      0,
      ['True', 'FoundNewReplicaSet', 'Found new replica set "web-abc"'],
    ],
  ])('%s', (_label, d, newRS, atMs, want) => {
    const c = progressOf(deploymentStatus(d, newRS, [newRS], 0, new Date(t0 + atMs)));
    expect([c?.status, c?.reason, c?.message]).toEqual(want);
  });

  it('within the deadline and without progress, nothing changes', () => {
    const d = deployment(progressing('ReplicaSetUpdated'), {
      replicas: 2,
      updated: 2,
      available: 0,
    });
    expect(deploymentStatus(d, rs(2, 0), [rs(2, 0)], 0, new Date(t0 + 9_000))).toBeUndefined();
  });

  it('a timed-out rollout stays timed out until it progresses', () => {
    const d = deployment(progressing('ProgressDeadlineExceeded', 'False'), {
      replicas: 2,
      updated: 2,
      available: 0,
    });
    expect(deploymentStatus(d, rs(2, 0), [rs(2, 0)], 0, new Date(t0 + 60_000))).toBeUndefined();
    const moved = progressOf(deploymentStatus(d, rs(2, 1), [rs(2, 1)], 0, new Date(t0 + 60_000)));
    expect(moved).toMatchObject({
      status: 'True',
      reason: 'ReplicaSetUpdated',
      lastUpdateTime: stamp(60_000),
      lastTransitionTime: stamp(60_000),
    });
  });

  it('without a deadline (max int32) there is no Progressing condition', () => {
    const d = deployment(
      undefined,
      { replicas: 2, updated: 2, available: 0 },
      {
        progressDeadlineSeconds: noDeadline,
      },
    );
    expect(progressOf(deploymentStatus(d, rs(2, 0), [rs(2, 0)], 0, new Date(t0)))).toBeUndefined();
  });

  it('progressingCondition restarts the clock and keeps a True transition time', () => {
    const [c] = progressingCondition(
      [progressing('NewReplicaSetAvailable', 'True', 0)],
      'NewReplicaSetCreated',
      'Created new replica set "web-def"',
      new Date(t0 + 5_000),
    );
    expect(c).toEqual({
      type: 'Progressing',
      status: 'True',
      reason: 'NewReplicaSetCreated',
      message: 'Created new replica set "web-def"',
      lastUpdateTime: stamp(5_000),
      lastTransitionTime: stamp(0),
    });
  });

  it.each([
    ['in progress', progressing('ReplicaSetUpdated', 'True', 2_000), {}, 4_000, 9_000],
    ['overdue', progressing('ReplicaSetUpdated', 'True', 0), {}, 20_000, 1_000],
    ['complete', progressing('NewReplicaSetAvailable'), {}, 0, undefined],
    ['timed out', progressing('ProgressDeadlineExceeded', 'False'), {}, 0, undefined],
    ['paused', progressing('ReplicaSetUpdated'), { paused: true }, 0, undefined],
  ])('progressDeadlineInMs when %s', (_label, cond, spec, atMs, want) => {
    const d = deployment(cond, { replicas: 2, updated: 2, available: 0 }, spec);
    expect(progressDeadlineInMs(d, new Date(t0 + atMs))).toBe(want);
  });
});
