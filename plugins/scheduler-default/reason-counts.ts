import type { Status } from '../../sdk/scheduler.ts';

/** reasonCounts counts reasons as `count reason`, sorted as strings, as Kubernetes prints them. */
export function reasonCounts(statuses: readonly Status[]): string[] {
  const counts = new Map<string, number>();
  for (const s of statuses) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([r, n]) => `${n} ${r}`).sort();
}
