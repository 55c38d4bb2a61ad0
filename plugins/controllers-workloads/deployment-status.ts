// The status of a Deployment, computed from its ReplicaSets.
import type { api } from '../../sdk/index.ts';

type Status = NonNullable<api.Deployment['status']>;
type Condition = NonNullable<Status['conditions']>[number];

const sum = (
  sets: api.ReplicaSet[],
  f: (s: NonNullable<api.ReplicaSet['status']>) => number | undefined,
) => sets.reduce((n, rs) => n + (rs.status ? (f(rs.status) ?? 0) : 0), 0);

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
  const progressing = d.spec?.paused
    ? condition(before, 'Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', now)
    : complete
      ? condition(
          before,
          'Progressing',
          'True',
          'NewReplicaSetAvailable',
          `ReplicaSet "${name}" has successfully progressed.`,
          now,
        )
      : condition(
          before,
          'Progressing',
          'True',
          'ReplicaSetUpdated',
          `ReplicaSet "${name}" is progressing.`,
          now,
        );
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
  const status: Status = {
    ...d.status,
    observedGeneration: d.metadata?.generation ?? 0,
    replicas,
    updatedReplicas: updated,
    readyReplicas: sum(owned, (s) => s.readyReplicas),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, replicas - available),
    conditions: [availableCond, progressing],
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
      before.length === 2 &&
      before[0] === availableCond &&
      before[1] === progressing);
  return same ? undefined : status;
}
