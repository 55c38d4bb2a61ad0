import {
  type FilterPlugin,
  type SchedulingPod,
  type ScorePlugin,
  status,
  success,
} from '../../sdk/scheduler.ts';
import {
  allocatableOf,
  nodeRequested,
  nonZeroRequestedOf,
  podRequests,
  podScoringRequests,
} from '../../sdk/scheduler-resources.ts';

// Both scores ask for the incoming pod's scoring requests once per feasible node: remember
// the last pod's, so a cycle pays for one lookup instead of one per node and plugin.
let lastPod: SchedulingPod | undefined;
let lastOwn = { cpu: 0, memory: 0 };

function ownScoring(pod: SchedulingPod): { cpu: number; memory: number } {
  if (pod !== lastPod) {
    lastOwn = podScoringRequests(pod);
    lastPod = pod;
  }
  return lastOwn;
}

/**
 * nodeResourcesFit checks the pod's requests against what is left of the node's allocatable,
 * pod count included, with Kubernetes' reasons ("Insufficient cpu", "Too many pods"), and
 * scores nodes by the LeastAllocated strategy (cpu and memory, weight 1 each).
 */
export const nodeResourcesFit = {
  name: 'NodeResourcesFit',
  filter(_state, pod, info) {
    const allocatable = allocatableOf(info);
    const requested = nodeRequested(info);
    let reasons: string[] | undefined;
    const podCount = info.requested?.pods ?? info.pods.length;
    if (podCount + 1 > (allocatable.pods ?? 0)) reasons = ['Too many pods'];
    const wanted = podRequests(pod);
    for (const name in wanted) {
      const want = wanted[name] ?? 0;
      if (want <= 0 || name === 'pods') continue;
      if (want > (allocatable[name] ?? 0) - (requested[name] ?? 0)) {
        reasons ??= [];
        reasons.push(`Insufficient ${name}`);
      }
    }
    return reasons === undefined ? success : status('Unschedulable', ...reasons);
  },
  score(_state, pod, info) {
    const own = ownScoring(pod);
    const used = nonZeroRequestedOf(info);
    const alloc = allocatableOf(info);
    const score =
      (leastAllocated(own.cpu + used.cpu, alloc.cpu ?? 0) +
        leastAllocated(own.memory + used.memory, alloc.memory ?? 0)) /
      2;
    return { status: success, score: Math.trunc(score) };
  },
} satisfies FilterPlugin & ScorePlugin;

/** nodeResourcesBalancedAllocation prefers nodes whose cpu and memory use stay in proportion. */
export const nodeResourcesBalancedAllocation = {
  name: 'NodeResourcesBalancedAllocation',
  score(_state, pod, info) {
    const own = ownScoring(pod);
    const used = nonZeroRequestedOf(info);
    const alloc = allocatableOf(info);
    const cpu = own.cpu + used.cpu;
    const memory = own.memory + used.memory;
    const allocCpu = alloc.cpu ?? 0;
    const allocMemory = alloc.memory ?? 0;
    const fc = allocCpu === 0 ? 0 : Math.min(cpu / allocCpu, 1);
    const fm = allocMemory === 0 ? 0 : Math.min(memory / allocMemory, 1);
    // With two resources the standard deviation is half their difference.
    const std = Math.abs(fc - fm) / 2;
    return { status: success, score: Math.trunc((1 - std) * 100) };
  },
} satisfies ScorePlugin;

/** leastAllocated is Kubernetes' per-resource score: the free share of the node, 0..100. */
export function leastAllocated(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * 100) / capacity);
}
