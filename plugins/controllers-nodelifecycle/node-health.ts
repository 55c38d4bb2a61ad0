// What the node lifecycle controller decides, as pure functions of objects and the time.
import { api } from '../../sdk/index.ts';

type Taint = NonNullable<NonNullable<api.Node['spec']>['taints']>[number];
type Toleration = NonNullable<NonNullable<api.Pod['spec']>['tolerations']>[number];
type NodeCondition = NonNullable<NonNullable<api.Node['status']>['conditions']>[number];

/** notReadyTaintKey marks a node whose kubelet reports Ready=False. */
export const notReadyTaintKey = 'node.kubernetes.io/not-ready';
/** unreachableTaintKey marks a node whose kubelet stopped reporting (Ready=Unknown). */
export const unreachableTaintKey = 'node.kubernetes.io/unreachable';

/** The conditions a silent kubelet can no longer vouch for. */
const kubeletConditions = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

/** unknownReason and unknownMessage are what Kubernetes writes on a silent node's conditions. */
export const unknownReason = 'NodeStatusUnknown';
export const unknownMessage = 'Kubelet stopped posting node status.';

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** readyStatus is the Ready condition's status ('True', 'False', 'Unknown'), or undefined. */
export function readyStatus(node: api.Node): string | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

/**
 * unknownConditions are a silent node's conditions: Ready and the pressure conditions set to
 * Unknown (added when missing), each keeping its last heartbeat; undefined when all already
 * are Unknown, so nothing needs writing.
 */
export function unknownConditions(node: api.Node, now: number): NodeCondition[] | undefined {
  const current = node.status?.conditions ?? [];
  let changed = false;
  const next = current.map((c) => {
    if (!kubeletConditions.includes(c.type) || c.status === 'Unknown') return c;
    changed = true;
    return {
      ...c,
      status: 'Unknown',
      reason: unknownReason,
      message: unknownMessage,
      lastTransitionTime: rfc3339(now),
    };
  });
  for (const type of kubeletConditions) {
    if (current.some((c) => c.type === type)) continue;
    changed = true;
    next.push({
      type,
      status: 'Unknown',
      reason: 'NodeStatusNeverUpdated',
      message: 'Kubelet never posted node status.',
      lastHeartbeatTime: rfc3339(now),
      lastTransitionTime: rfc3339(now),
    });
  }
  return changed ? next : undefined;
}

/**
 * desiredTaints is the node's taint list with the not-ready/unreachable taints made to match
 * its Ready condition (both NoSchedule and NoExecute, timeAdded now when new); undefined when
 * the list is already right.
 */
export function desiredTaints(node: api.Node, now: number): Taint[] | undefined {
  const ready = readyStatus(node);
  const want =
    ready === 'False' ? notReadyTaintKey : ready === 'Unknown' ? unreachableTaintKey : undefined;
  const current = node.spec?.taints ?? [];
  const ours = (t: Taint) => t.key === notReadyTaintKey || t.key === unreachableTaintKey;
  const keep = current.filter(
    (t) => !ours(t) || (t.key === want && (t.effect === 'NoSchedule' || t.effect === 'NoExecute')),
  );
  const next = [...keep];
  if (want !== undefined)
    for (const effect of ['NoSchedule', 'NoExecute'])
      if (!keep.some((t) => t.key === want && t.effect === effect))
        next.push({ key: want, effect, timeAdded: rfc3339(now) });
  const same =
    next.length === current.length &&
    next.every((t, i) => t.key === current[i]?.key && t.effect === current[i]?.effect);
  return same ? undefined : next;
}

/**
 * withDefaultTolerations adds the tolerations Kubernetes' DefaultTolerationSeconds admission
 * gives a pod with none of its own for not-ready and unreachable (NoExecute, for `seconds`).
 */
export function withDefaultTolerations(tolerations: Toleration[], seconds: number): Toleration[] {
  const out = [...tolerations];
  for (const key of [notReadyTaintKey, unreachableTaintKey]) {
    const covered = tolerations.some(
      (t) =>
        ((t.key ?? '') === '' || t.key === key) &&
        (t.effect === undefined || t.effect === '' || t.effect === 'NoExecute'),
    );
    if (!covered)
      out.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds });
  }
  return out;
}

/** Eviction says what happens to a pod on a node with NoExecute taints. */
export type Eviction =
  | { readonly evict: 'now'; readonly taint: string }
  | { readonly evict: 'at'; readonly atMs: number }
  | { readonly evict: 'never' };

/**
 * evictionOf applies taint-based eviction to one pod: a NoExecute taint it does not tolerate
 * evicts it now; otherwise the shortest tolerationSeconds among the tolerations used, counted
 * from each taint's timeAdded, says when; tolerations without seconds tolerate for ever.
 */
export function evictionOf(
  pod: api.Pod,
  taints: readonly Taint[],
  defaultTolerationSeconds: number,
  now: number,
): Eviction {
  const noExecute = taints.filter((t) => t.effect === 'NoExecute');
  if (noExecute.length === 0) return { evict: 'never' };
  const tolerations = withDefaultTolerations(pod.spec?.tolerations ?? [], defaultTolerationSeconds);
  let at = Number.POSITIVE_INFINITY;
  for (const taint of noExecute) {
    const used = tolerations.filter((t) => api.tolerates(t, taint));
    if (used.length === 0) return { evict: 'now', taint: `${taint.key}:${taint.effect}` };
    const since = Date.parse(taint.timeAdded ?? '');
    const start = Number.isNaN(since) ? now : since;
    for (const t of used)
      if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null)
        at = Math.min(at, start + Math.max(0, t.tolerationSeconds) * 1000);
  }
  if (at === Number.POSITIVE_INFINITY) return { evict: 'never' };
  return at <= now ? { evict: 'now', taint: 'toleration expired' } : { evict: 'at', atMs: at };
}
