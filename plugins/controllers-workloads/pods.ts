// Pod facts both controllers share: readiness, availability, ownership and deletion order.
import type { api } from '../../sdk/index.ts';

/** OwnerRef is the controller ownerReference a workload puts on what it makes. */
export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: true;
  blockOwnerDeletion: true;
}

/** ownerRefOf makes the controller ownerReference pointing at an object. */
export function ownerRefOf(apiVersion: string, kind: string, owner: api.KubeObject): OwnerRef {
  return {
    apiVersion,
    kind,
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** controllerOf is the ownerReference marked controller, if any. */
export function controllerOf(o: api.KubeObject): { uid: string; kind: string } | undefined {
  return o.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** readyCondition is the pod's Ready condition when it is True. */
function readyCondition(pod: api.Pod): { lastTransitionTime?: string } | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
}

/** isPodReady tells whether the pod runs with its Ready condition True. */
export function isPodReady(pod: api.Pod): boolean {
  return pod.status?.phase === 'Running' && readyCondition(pod) !== undefined;
}

/**
 * availableInMs is 0 when the pod has been ready for minReadySeconds, the milliseconds still to
 * wait when it is ready but not yet for long enough, and undefined when it is not ready.
 */
export function availableInMs(
  pod: api.Pod,
  minReadySeconds: number,
  now: number,
): number | undefined {
  if (!isPodReady(pod)) return undefined;
  if (minReadySeconds <= 0) return 0;
  const since = Date.parse(readyCondition(pod)?.lastTransitionTime ?? '');
  if (Number.isNaN(since)) return 0;
  return Math.max(0, since + minReadySeconds * 1000 - now);
}

/** isActive leaves out pods that finished or are being deleted. */
export function isActive(pod: api.Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

const phaseRank = (pod: api.Pod) =>
  pod.status?.phase === 'Pending' ? 0 : pod.status?.phase === 'Running' ? 2 : 1;
const time = (s: string | undefined) => (s ? Date.parse(s) || 0 : 0);

/**
 * deletionOrder sorts pods so the ones to delete first come first, the way Kubernetes picks:
 * unscheduled before scheduled, pending before running, not ready before ready, then the pod
 * that became ready most recently, then the newest.
 */
export function deletionOrder(a: api.Pod, b: api.Pod): number {
  const sa = a.spec?.nodeName ? 1 : 0;
  const sb = b.spec?.nodeName ? 1 : 0;
  if (sa !== sb) return sa - sb;
  if (phaseRank(a) !== phaseRank(b)) return phaseRank(a) - phaseRank(b);
  const ra = isPodReady(a) ? 1 : 0;
  const rb = isPodReady(b) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  if (ra === 1) {
    const ta = time(readyCondition(a)?.lastTransitionTime);
    const tb = time(readyCondition(b)?.lastTransitionTime);
    if (ta !== tb) return tb - ta;
  }
  return time(b.metadata?.creationTimestamp) - time(a.metadata?.creationTimestamp);
}
