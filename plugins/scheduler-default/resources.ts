import type { NodeInfo, SchedulingPod } from '../../sdk/scheduler.ts';
import { type FilterPlugin, type ScorePlugin, status, success } from '../../sdk/scheduler.ts';
import {
  nodeAllocatable,
  nodeRequested,
  podRequests,
  podScoringRequests,
} from '../../sdk/scheduler-resources.ts';

/**
 * nodeResourcesFit checks the pod's requests against what is left of the node's allocatable,
 * pod count included, with Kubernetes' reasons ("Insufficient cpu", "Too many pods"), and
 * scores nodes by the LeastAllocated strategy (cpu and memory, weight 1 each).
 */
export const nodeResourcesFit = {
  name: 'NodeResourcesFit',
  filter(_state, pod, info) {
    const allocatable = nodeAllocatable(info.node);
    const requested = nodeRequested(info);
    const reasons: string[] = [];
    const podCount = info.requested?.pods ?? info.pods.length;
    if (podCount + 1 > (allocatable.pods ?? 0)) reasons.push('Too many pods');
    for (const [name, want] of Object.entries(podRequests(pod))) {
      if (want <= 0 || name === 'pods') continue;
      if (want > (allocatable[name] ?? 0) - (requested[name] ?? 0)) {
        reasons.push(`Insufficient ${name}`);
      }
    }
    return reasons.length === 0 ? success : status('Unschedulable', ...reasons);
  },
  score(_state, pod, info) {
    const { cpu, memory, allocCpu, allocMemory } = usage(pod, info);
    const score = (leastAllocated(cpu, allocCpu) + leastAllocated(memory, allocMemory)) / 2;
    return { status: success, score: Math.trunc(score) };
  },
} satisfies FilterPlugin & ScorePlugin;

/** nodeResourcesBalancedAllocation prefers nodes whose cpu and memory use stay in proportion. */
export const nodeResourcesBalancedAllocation = {
  name: 'NodeResourcesBalancedAllocation',
  score(_state, pod, info) {
    const { cpu, memory, allocCpu, allocMemory } = usage(pod, info);
    const fc = allocCpu === 0 ? 0 : Math.min(cpu / allocCpu, 1);
    const fm = allocMemory === 0 ? 0 : Math.min(memory / allocMemory, 1);
    // With two resources the standard deviation is half their difference.
    const std = Math.abs(fc - fm) / 2;
    return { status: success, score: Math.trunc((1 - std) * 100) };
  },
} satisfies ScorePlugin;

const scoringCache = new WeakMap<object, { cpu: number; memory: number }>();

function scoringRequests(pod: SchedulingPod): { cpu: number; memory: number } {
  let r = scoringCache.get(pod);
  if (r === undefined) {
    r = podScoringRequests(pod);
    scoringCache.set(pod, r);
  }
  return r;
}

function usage(pod: SchedulingPod, info: NodeInfo) {
  const own = scoringRequests(pod);
  let cpu = own.cpu;
  let memory = own.memory;
  for (const p of info.pods) {
    const r = scoringRequests(p);
    cpu += r.cpu;
    memory += r.memory;
  }
  const alloc = nodeAllocatable(info.node);
  return { cpu, memory, allocCpu: alloc.cpu ?? 0, allocMemory: alloc.memory ?? 0 };
}

/** leastAllocated is Kubernetes' per-resource score: the free share of the node, 0..100. */
export function leastAllocated(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * 100) / capacity);
}
