import type { Node } from '../../sdk/api/core/node.ts';
import type { Pod } from '../../sdk/api/core/pod.ts';
import { type Status, status, success } from '../../sdk/scheduler.ts';
import type { PodCondition, SchedulerCluster, SchedulerEvent, WatchEvent } from './cluster.ts';
import { podKey } from './node-info.ts';

/** RecordedEvent is an event the in-memory cluster kept, with the pod it is about. */
export interface RecordedEvent extends SchedulerEvent {
  readonly pod: string;
}

/**
 * MemoryCluster is a SchedulerCluster held in memory: the scheduler's unit tests, the end-to-end
 * placement checks and the bench drive it. Watches are delivered synchronously.
 */
export class MemoryCluster implements SchedulerCluster {
  readonly pods = new Map<string, Pod>();
  readonly nodes = new Map<string, Node>();
  readonly events: RecordedEvent[] = [];
  private readonly podWatchers = new Set<(e: WatchEvent<Pod>) => void>();
  private readonly nodeWatchers = new Set<(e: WatchEvent<Node>) => void>();
  /** bindings counts the successful bind calls. */
  bindings = 0;
  /** onBound, when set, hears of every successful binding (the bench waits on it). */
  onBound: ((pod: Pod, nodeName: string) => void) | undefined;

  watchPods(handler: (e: WatchEvent<Pod>) => void): () => void {
    for (const p of this.pods.values()) handler({ type: 'ADDED', object: p });
    this.podWatchers.add(handler);
    return () => this.podWatchers.delete(handler);
  }

  watchNodes(handler: (e: WatchEvent<Node>) => void): () => void {
    for (const n of this.nodes.values()) handler({ type: 'ADDED', object: n });
    this.nodeWatchers.add(handler);
    return () => this.nodeWatchers.delete(handler);
  }

  /** putPod adds or replaces a pod and tells the watchers. */
  putPod(pod: Pod): void {
    const key = podKey({ metadata: pod.metadata ?? {} });
    const type = this.pods.has(key) ? 'MODIFIED' : 'ADDED';
    this.pods.set(key, pod);
    for (const w of this.podWatchers) w({ type, object: pod });
  }

  /** deletePod removes a pod and tells the watchers. */
  deletePod(key: string): void {
    const pod = this.pods.get(key);
    if (pod === undefined) return;
    this.pods.delete(key);
    for (const w of this.podWatchers) w({ type: 'DELETED', object: pod });
  }

  /** putNode adds or replaces a node and tells the watchers. */
  putNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    const type = this.nodes.has(name) ? 'MODIFIED' : 'ADDED';
    this.nodes.set(name, node);
    for (const w of this.nodeWatchers) w({ type, object: node });
  }

  /** deleteNode removes a node and tells the watchers. */
  deleteNode(name: string): void {
    const node = this.nodes.get(name);
    if (node === undefined) return;
    this.nodes.delete(name);
    for (const w of this.nodeWatchers) w({ type: 'DELETED', object: node });
  }

  async bind(pod: Pod, nodeName: string): Promise<Status> {
    const key = podKey({ metadata: pod.metadata ?? {} });
    const current = this.pods.get(key);
    if (current === undefined) return status('Error', `pods "${pod.metadata?.name}" not found`);
    if (current.spec?.nodeName) {
      return status(
        'Error',
        `Operation cannot be fulfilled on pods/binding "${pod.metadata?.name}": pod ${pod.metadata?.name} is already assigned to node "${current.spec.nodeName}"`,
      );
    }
    this.bindings += 1;
    // The API server marks a bound pod PodScheduled=True; this cluster does the same.
    const others = (current.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    this.putPod({
      ...current,
      spec: { containers: [], ...current.spec, nodeName },
      status: {
        ...current.status,
        conditions: [...others, { type: 'PodScheduled', status: 'True' }],
      },
    });
    this.onBound?.(current, nodeName);
    return success;
  }

  async setCondition(pod: Pod, condition: PodCondition): Promise<void> {
    const key = podKey({ metadata: pod.metadata ?? {} });
    const current = this.pods.get(key);
    if (current === undefined) return;
    const others = (current.status?.conditions ?? []).filter((c) => c.type !== condition.type);
    this.putPod({ ...current, status: { ...current.status, conditions: [...others, condition] } });
  }

  async recordEvent(pod: Pod, event: SchedulerEvent): Promise<void> {
    this.events.push({ ...event, pod: podKey({ metadata: pod.metadata ?? {} }) });
  }

  /** condition returns a pod's PodScheduled condition, if any. */
  condition(key: string): PodCondition | undefined {
    const c = this.pods.get(key)?.status?.conditions?.find((x) => x.type === 'PodScheduled');
    return c as PodCondition | undefined;
  }
}
