import type { Status } from '../../sdk/scheduler.ts';

/**
 * reasonHistogram counts the reasons nodes gave, as `count reason`, sorted the way Kubernetes
 * sorts them (as strings), for the "0/N nodes are available" message.
 */
export function reasonHistogram(statuses: Iterable<Status>): string[] {
  const counts = new Map<string, number>();
  for (const s of statuses) {
    for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  return [...counts].map(([reason, n]) => `${n} ${reason}`).sort();
}

/** FitFailure describes why no node fits a pod: what filtering and PostFilter said. */
export interface FitFailure {
  readonly numAllNodes: number;
  /** filtered holds each rejected node's status. */
  readonly filtered: ReadonlyMap<string, Status>;
  /** preFilterMsg is set when a PreFilter rejected the pod before any node was looked at. */
  readonly preFilterMsg?: string;
  /** postFilterMsg is what the PostFilter (preemption) plugins said. */
  readonly postFilterMsg?: string;
}

/**
 * fitErrorMessage writes the message of a pod no node fits in Kubernetes' form:
 * `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {a: b}.
 * preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.`
 */
export function fitErrorMessage(f: FitFailure): string {
  let msg = `0/${f.numAllNodes} nodes are available:`;
  if (f.preFilterMsg !== undefined && f.preFilterMsg !== '') msg += ` ${f.preFilterMsg}.`;
  else msg += ` ${reasonHistogram(f.filtered.values()).join(', ')}.`;
  if (f.postFilterMsg !== undefined && f.postFilterMsg !== '') msg += ` ${f.postFilterMsg}.`;
  return msg;
}
