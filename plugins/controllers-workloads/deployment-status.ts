// The status of a Deployment, computed from its ReplicaSets.
import type { api } from '../../sdk/index.ts';

type Status = NonNullable<api.Deployment['status']>;
type Condition = NonNullable<Status['conditions']>[number];

const sum = (
  sets: api.ReplicaSet[],
  f: (s: NonNullable<api.ReplicaSet['status']>) => number | undefined,
) => sets.reduce((n, rs) => n + (rs.status ? (f(rs.status) ?? 0) : 0), 0);

/** noDeadline is the progressDeadlineSeconds that means "never time out" (max int32). */
export const noDeadline = 2_147_483_647;

/** progressDeadlineOf is a Deployment's deadline in seconds (default 600), undefined for none. */
export function progressDeadlineOf(d: api.Deployment): number | undefined {
  const s = d.spec?.progressDeadlineSeconds ?? 600;
  return s >= noDeadline ? undefined : s;
}

const stampOf = (at: Date) => at.toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * progressingCondition is the Progressing condition with a reason and message, as Kubernetes
 * sets it when a rollout starts (NewReplicaSetCreated, FoundNewReplicaSet): the clock of the
 * progress deadline starts again (lastUpdateTime), lastTransitionTime stays while True.
 */
export function progressingCondition(
  before: readonly Condition[],
  reason: string,
  message: string,
  at: Date,
): Condition[] {
  const now = stampOf(at);
  const old = before.find((c) => c.type === 'Progressing');
  const next: Condition = {
    type: 'Progressing',
    status: 'True',
    reason,
    message,
    lastUpdateTime: now,
    lastTransitionTime: old?.status === 'True' ? (old.lastTransitionTime ?? now) : now,
  };
  return [...before.filter((c) => c.type !== 'Progressing'), next];
}

/**
 * progressDeadlineInMs is how long until a rollout in progress runs out of time, so the
 * controller looks again then; undefined when no deadline applies (paused, complete, timed out).
 */
export function progressDeadlineInMs(d: api.Deployment, at: Date): number | undefined {
  const deadline = progressDeadlineOf(d);
  const cond = d.status?.conditions?.find((c) => c.type === 'Progressing');
  if (deadline === undefined || d.spec?.paused || cond === undefined) return undefined;
  if (
    ['NewReplicaSetAvailable', 'ProgressDeadlineExceeded', 'DeploymentPaused'].includes(
      cond.reason ?? '',
    )
  )
    return undefined;
  const from = Date.parse(cond.lastUpdateTime ?? '');
  if (Number.isNaN(from)) return undefined;
  return Math.max(0, from + deadline * 1000 - at.getTime()) + 1000;
}

// Kubernetes counts a pass as progress when more pods are updated, ready or available, or
// fewer old ones remain.
function progressed(before: Status | undefined, after: Status): boolean {
  const b = before ?? { replicas: 0 };
  const oldPods = (s: Status) => (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (after.updatedReplicas ?? 0) > (b.updatedReplicas ?? 0) ||
    (after.readyReplicas ?? 0) > (b.readyReplicas ?? 0) ||
    (after.availableReplicas ?? 0) > (b.availableReplicas ?? 0) ||
    oldPods(b as Status) > oldPods(after)
  );
}

function condition(
  before: readonly Condition[],
  type: string,
  status: string,
  reason: string,
  message: string,
  now: string,
): Condition {
  const old = before.find((c) => c.type === type);
  if (old && old.status === status && old.reason === reason && old.message === message) return old;
  return {
    type,
    status,
    reason,
    message,
    lastUpdateTime: now,
    lastTransitionTime: old && old.status === status ? (old.lastTransitionTime ?? now) : now,
  };
}

/**
 * deploymentStatus is the status the Deployment should show, or undefined when the stored one
 * already says the same (so an unchanged pass writes nothing).
 */
export function deploymentStatus(
  d: api.Deployment,
  newRS: api.ReplicaSet | undefined,
  owned: api.ReplicaSet[],
  maxUnavailable: number,
  at: Date,
): Status | undefined {
  const want = d.spec?.replicas ?? 1;
  const replicas = sum(owned, (s) => s.replicas);
  const available = sum(owned, (s) => s.availableReplicas);
  const updated = newRS?.status?.replicas ?? 0;
  const name = newRS?.metadata?.name ?? '';
  const now = at.toISOString().replace(/\.\d+Z$/, 'Z');
  const before = d.status?.conditions ?? [];
  const complete =
    newRS !== undefined && updated === want && replicas === want && available === want;
  const availableCond =
    available >= want - maxUnavailable
      ? condition(
          before,
          'Available',
          'True',
          'MinimumReplicasAvailable',
          'Deployment has minimum availability.',
          now,
        )
      : condition(
          before,
          'Available',
          'False',
          'MinimumReplicasUnavailable',
          'Deployment does not have minimum availability.',
          now,
        );
  const counts: Status = {
    ...d.status,
    observedGeneration: d.metadata?.generation ?? 0,
    replicas,
    updatedReplicas: updated,
    readyReplicas: sum(owned, (s) => s.readyReplicas),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, replicas - available),
  };
  const progressing = progressingOf(d, counts, name, complete, at);
  const status: Status = {
    ...counts,
    conditions: progressing === undefined ? [availableCond] : [availableCond, progressing],
  };
  const same =
    JSON.stringify({ ...d.status, conditions: before }) === JSON.stringify(status) ||
    (d.status !== undefined &&
      (
        [
          'observedGeneration',
          'replicas',
          'updatedReplicas',
          'readyReplicas',
          'availableReplicas',
          'unavailableReplicas',
        ] as const
      ).every((k) => (d.status?.[k] ?? 0) === (status[k] ?? 0)) &&
      before.length === status.conditions?.length &&
      before.every((c, i) => c === status.conditions?.[i]));
  return same ? undefined : status;
}

// The Progressing condition after a pass, following Kubernetes' rollout status rules: paused
// and resumed say so (Unknown) and never time out; a finished rollout is NewReplicaSetAvailable;
// progress renews ReplicaSetUpdated's lastUpdateTime; a rollout without the condition found its
// new set (FoundNewReplicaSet); no progress past the deadline is
// ProgressDeadlineExceeded (False); otherwise the condition stays as it was.
function progressingOf(
  d: api.Deployment,
  counts: Status,
  name: string,
  complete: boolean,
  at: Date,
): Condition | undefined {
  const now = stampOf(at);
  const before = d.status?.conditions ?? [];
  const current = before.find((c) => c.type === 'Progressing');
  if (d.spec?.paused)
    return condition(
      before,
      'Progressing',
      'Unknown',
      'DeploymentPaused',
      'Deployment is paused',
      now,
    );
  if (current?.reason === 'DeploymentPaused')
    return condition(
      before,
      'Progressing',
      'Unknown',
      'DeploymentResumed',
      'Deployment is resumed',
      now,
    );
  const deadline = progressDeadlineOf(d);
  if (deadline === undefined) return undefined;
  const finished =
    counts.replicas === counts.updatedReplicas && current?.reason === 'NewReplicaSetAvailable';
  if (finished) return current;
  if (complete)
    return condition(
      before,
      'Progressing',
      'True',
      'NewReplicaSetAvailable',
      `ReplicaSet "${name}" has successfully progressed.`,
      now,
    );
  if (progressed(d.status, counts))
    return {
      type: 'Progressing',
      status: 'True',
      reason: 'ReplicaSetUpdated',
      message: `ReplicaSet "${name}" is progressing.`,
      lastUpdateTime: now,
      lastTransitionTime: current?.status === 'True' ? (current.lastTransitionTime ?? now) : now,
    };
  if (current === undefined)
    return {
      type: 'Progressing',
      status: 'True',
      reason: 'FoundNewReplicaSet',
      message: `Found new replica set "${name}"`,
      lastUpdateTime: now,
      lastTransitionTime: now,
    };
  if (current.reason === 'ProgressDeadlineExceeded') return current;
  const from = Date.parse(current.lastUpdateTime ?? '');
  if (!Number.isNaN(from) && from + deadline * 1000 < at.getTime())
    return condition(
      before,
      'Progressing',
      'False',
      'ProgressDeadlineExceeded',
      `ReplicaSet "${name}" has timed out progressing.`,
      now,
    );
  return current;
}
