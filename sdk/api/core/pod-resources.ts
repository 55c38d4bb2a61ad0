import { parseQuantity, quantityMillis } from '../quantity.ts';
import type { PodSpec } from './pod.ts';

/** ResourceAmounts maps resource names to amounts in thousandths of a unit (millicores, millibytes). */
export type ResourceAmounts = Record<string, bigint>;

function toAmounts(list: Record<string, string | number> | undefined): ResourceAmounts {
  const out: ResourceAmounts = {};
  for (const [name, raw] of Object.entries(list ?? {})) {
    const q = parseQuantity(raw);
    if (q.ok) out[name] = quantityMillis(q.quantity);
  }
  return out;
}

function add(into: ResourceAmounts, more: ResourceAmounts): void {
  for (const [name, v] of Object.entries(more)) into[name] = (into[name] ?? 0n) + v;
}

function max(into: ResourceAmounts, other: ResourceAmounts): void {
  for (const [name, v] of Object.entries(other)) if (v > (into[name] ?? 0n)) into[name] = v;
}

/**
 * podRequests is what the scheduler must reserve for a pod, by Kubernetes' rule: the app
 * containers and sidecars (restartable init containers) run together, each plain init
 * container runs alone beside the sidecars started before it, the larger of the two counts,
 * and the pod overhead is added. Requests are read as given (defaulting copies limits there).
 */
export function podRequests(spec: PodSpec): ResourceAmounts {
  const total: ResourceAmounts = {};
  for (const c of spec.containers) add(total, toAmounts(c.resources?.requests));
  const sidecars: ResourceAmounts = {};
  const initPeak: ResourceAmounts = {};
  for (const c of spec.initContainers ?? []) {
    const own = toAmounts(c.resources?.requests);
    if (c.restartPolicy === 'Always') {
      add(total, own);
      add(sidecars, own);
      max(initPeak, sidecars);
    } else {
      const during: ResourceAmounts = { ...sidecars };
      add(during, own);
      max(initPeak, during);
    }
  }
  max(total, initPeak);
  add(total, toAmounts(spec.overhead));
  return total;
}
