import type { SchedulingNode, SchedulingPod } from '../../sdk/scheduler.ts';
import { CachedNodeInfo, podKey } from './node-info.ts';

/**
 * SchedulerCache is the scheduler's picture of the cluster: nodes with the pods bound or assumed
 * on them, kept up to date from pod and node events. The node list is one array whose slots
 * are replaced on change, so a scheduling cycle reads it without copying anything.
 */
export class SchedulerCache {
  private readonly list: CachedNodeInfo[] = [];
  private readonly index = new Map<string, number>();
  /** Where each known pod sits; assumed pods are placed before their binding lands. */
  private readonly podNode = new Map<string, string>();
  private readonly assumed = new Set<string>();
  /** Pods bound to a node the cache does not know yet, waiting for the node to arrive. */
  private readonly orphans = new Map<string, SchedulingPod>();
  /** Names of the nodes holding a pod with required anti-affinity terms. */
  private readonly antiAffinityNodes = new Set<string>();

  /** nodes is every node, in the order they were added. */
  nodes(): readonly CachedNodeInfo[] {
    return this.list;
  }

  /** nodesWithRequiredAntiAffinity lists the nodes holding a pod with required anti-affinity. */
  nodesWithRequiredAntiAffinity(): CachedNodeInfo[] {
    const out: CachedNodeInfo[] = [];
    for (const name of this.antiAffinityNodes) {
      const info = this.node(name);
      if (info !== undefined) out.push(info);
    }
    return out;
  }

  /** set replaces slot i and keeps the anti-affinity node set in step with it. */
  private set(i: number, info: CachedNodeInfo): void {
    this.list[i] = info;
    if (info.podsWithRequiredAntiAffinity.length > 0) this.antiAffinityNodes.add(info.name);
    else this.antiAffinityNodes.delete(info.name);
  }

  /** node is one node's info, or undefined. */
  node(name: string): CachedNodeInfo | undefined {
    const i = this.index.get(name);
    return i === undefined ? undefined : this.list[i];
  }

  /** upsertNode adds a node or replaces its object, keeping its pods. */
  upsertNode(node: SchedulingNode): void {
    const name = node.metadata.name ?? '';
    const i = this.index.get(name);
    if (i !== undefined) {
      const current = this.list[i];
      if (current !== undefined) this.set(i, current.withNode(node));
      return;
    }
    const waiting = [...this.orphans.values()].filter((p) => p.spec?.nodeName === name);
    for (const p of waiting) this.orphans.delete(podKey(p));
    this.index.set(name, this.list.length);
    const info = CachedNodeInfo.of(node, waiting);
    this.list.push(info);
    this.set(this.list.length - 1, info);
  }

  /** removeNode forgets a node; its pods are kept aside in case it comes back. */
  removeNode(name: string): void {
    const i = this.index.get(name);
    if (i === undefined) return;
    const info = this.list[i];
    const last = this.list.pop();
    this.index.delete(name);
    this.antiAffinityNodes.delete(name);
    if (last !== undefined && last !== info) {
      this.list[i] = last;
      this.index.set(last.name, i);
    }
    for (const p of info?.pods ?? []) {
      this.podNode.delete(podKey(p));
      this.orphans.set(podKey(p), p);
    }
  }

  /** isAssumed tells whether a pod was placed by this scheduler and its binding is not yet seen. */
  isAssumed(key: string): boolean {
    return this.assumed.has(key);
  }

  /** assumePod places a pod on a node before the binding is confirmed. */
  assumePod(pod: SchedulingPod, nodeName: string): void {
    this.placePod(pod, nodeName);
    this.assumed.add(podKey(pod));
  }

  /** forgetPod takes an assumed pod off its node (its binding failed). */
  forgetPod(key: string): void {
    if (!this.assumed.delete(key)) return;
    this.removePod(key);
  }

  /** upsertPod records a pod bound to a node (an update replaces the previous object). */
  upsertPod(pod: SchedulingPod): void {
    const nodeName = pod.spec?.nodeName;
    const key = podKey(pod);
    if (this.assumed.delete(key) && nodeName !== undefined && this.podNode.get(key) === nodeName) {
      // Our own binding confirmed where we assumed it: the node's sums already hold the pod,
      // so only its object is swapped in, with no rebuild of the node's aggregates.
      const i = this.index.get(nodeName);
      const info = i === undefined ? undefined : this.list[i];
      if (i !== undefined && info !== undefined) {
        this.set(i, info.withPodReplaced(key, pod));
        return;
      }
    }
    this.removePod(key);
    if (nodeName !== undefined && nodeName !== '') this.placePod(pod, nodeName);
  }

  /** removePod forgets a pod wherever it is. */
  removePod(key: string): void {
    this.orphans.delete(key);
    const nodeName = this.podNode.get(key);
    if (nodeName === undefined) return;
    this.podNode.delete(key);
    const i = this.index.get(nodeName);
    const info = i === undefined ? undefined : this.list[i];
    if (i !== undefined && info !== undefined) this.set(i, info.withoutPod(key));
  }

  private placePod(pod: SchedulingPod, nodeName: string): void {
    const key = podKey(pod);
    const i = this.index.get(nodeName);
    const info = i === undefined ? undefined : this.list[i];
    if (i === undefined || info === undefined) {
      this.orphans.set(key, pod);
      return;
    }
    this.set(i, info.withPod(pod));
    this.podNode.set(key, nodeName);
  }
}
