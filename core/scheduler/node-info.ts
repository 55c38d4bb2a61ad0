import type { NodeInfo, SchedulingNode, SchedulingPod } from '../../sdk/scheduler.ts';
import {
  asPod,
  nodeAllocatable,
  podHostPorts,
  podRequests,
  podScoringRequests,
  type ResourceAmounts,
} from '../../sdk/scheduler-resources.ts';

/** podKey is the `namespace/name` key of a pod. */
export function podKey(pod: SchedulingPod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''}`;
}

/**
 * CachedNodeInfo is the framework's NodeInfo. It is never changed in place: adding or removing a
 * pod makes a new value, so a plugin holding one from an earlier point sees a steady picture.
 */
export class CachedNodeInfo implements NodeInfo {
  constructor(
    readonly node: SchedulingNode,
    readonly pods: readonly SchedulingPod[],
    readonly requested: Readonly<ResourceAmounts>,
    readonly usedPorts: ReadonlySet<string>,
    readonly podsWithRequiredAntiAffinity: readonly SchedulingPod[] = [],
    readonly nonZeroRequested: { readonly cpu: number; readonly memory: number } = {
      cpu: 0,
      memory: 0,
    },
    readonly allocatable: Readonly<ResourceAmounts> = nodeAllocatable(node),
  ) {}

  /** CachedNodeInfo.of builds a NodeInfo for a node and the pods on it. */
  static of(node: SchedulingNode, pods: readonly SchedulingPod[] = []): CachedNodeInfo {
    let info = new CachedNodeInfo(node, [], { pods: 0 }, new Set());
    for (const p of pods) info = info.withPod(p);
    return info;
  }

  /** name is the node's name. */
  get name(): string {
    return this.node.metadata.name ?? '';
  }

  /** withNode is this NodeInfo with an updated node object and the same pods. */
  withNode(node: SchedulingNode): CachedNodeInfo {
    return new CachedNodeInfo(
      node,
      this.pods,
      this.requested,
      this.usedPorts,
      this.podsWithRequiredAntiAffinity,
      this.nonZeroRequested,
    );
  }

  /** withPod is this NodeInfo with one more pod. */
  withPod(pod: SchedulingPod): CachedNodeInfo {
    const requested: ResourceAmounts = { ...this.requested };
    for (const [k, v] of Object.entries(podRequests(pod))) requested[k] = (requested[k] ?? 0) + v;
    requested.pods = (requested.pods ?? 0) + 1;
    const ports = podHostPorts(pod);
    const usedPorts = ports.length === 0 ? this.usedPorts : new Set([...this.usedPorts, ...ports]);
    const anti =
      asPod(pod).spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    const withAnti =
      anti !== undefined && anti.length > 0
        ? [...this.podsWithRequiredAntiAffinity, pod]
        : this.podsWithRequiredAntiAffinity;
    const scoring = podScoringRequests(pod);
    const nonZero = {
      cpu: this.nonZeroRequested.cpu + scoring.cpu,
      memory: this.nonZeroRequested.memory + scoring.memory,
    };
    return new CachedNodeInfo(
      this.node,
      [...this.pods, pod],
      requested,
      usedPorts,
      withAnti,
      nonZero,
      this.allocatable,
    );
  }

  /**
   * withPodReplaced is this NodeInfo with the pod of that key swapped for a newer object whose
   * requests, ports and affinity are the same (a binding confirmed): the sums are kept.
   */
  withPodReplaced(key: string, pod: SchedulingPod): CachedNodeInfo {
    const swap = (list: readonly SchedulingPod[]) => list.map((p) => (podKey(p) === key ? pod : p));
    return new CachedNodeInfo(
      this.node,
      swap(this.pods),
      this.requested,
      this.usedPorts,
      swap(this.podsWithRequiredAntiAffinity),
      this.nonZeroRequested,
      this.allocatable,
    );
  }

  /** withoutPod is this NodeInfo without the pod of that key (itself when it is not there). */
  withoutPod(key: string): CachedNodeInfo {
    const rest = this.pods.filter((p) => podKey(p) !== key);
    return rest.length === this.pods.length ? this : CachedNodeInfo.of(this.node, rest);
  }
}
