import type { Event } from '../../sdk/api/core/event.ts';
import type { Node } from '../../sdk/api/core/node.ts';
import type { Pod } from '../../sdk/api/core/pod.ts';
import type { PodBinder, Status } from '../../sdk/scheduler.ts';

/** WatchEvent is one change the scheduler hears about; the initial list arrives as ADDED. */
export interface WatchEvent<T> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: T;
}

/** PodCondition is the PodScheduled condition as the scheduler writes it. */
export interface PodCondition {
  readonly type: 'PodScheduled';
  readonly status: 'True' | 'False';
  readonly reason?: string;
  readonly message?: string;
}

/** SchedulerEvent is the part of a Kubernetes Event the scheduler fills in. */
export type SchedulerEvent = Pick<Event, 'type' | 'reason' | 'message'>;

/**
 * SchedulerCluster is everything the scheduler needs from the cluster: watches of pods and nodes,
 * the binding subresource, the pod's PodScheduled condition and events. The in-memory one serves
 * unit tests and the bench; an API-client one plugs in the same way.
 */
export interface SchedulerCluster {
  /** watchPods delivers every pod as ADDED, then changes; the returned function stops it. */
  watchPods(handler: (e: WatchEvent<Pod>) => void): () => void;
  watchNodes(handler: (e: WatchEvent<Node>) => void): () => void;
  /** bind sets spec.nodeName through the binding subresource; a refusal is a non-success Status. */
  bind(pod: Pod, nodeName: string): Promise<Status>;
  /** setCondition writes the PodScheduled condition into the pod's status. */
  setCondition(pod: Pod, condition: PodCondition): Promise<void>;
  /** recordEvent records an event about the pod (Scheduled, FailedScheduling). */
  recordEvent(pod: Pod, event: SchedulerEvent): Promise<void>;
}

/** clusterBinder is the PodBinder that binds through a SchedulerCluster. */
export function clusterBinder(cluster: SchedulerCluster): PodBinder {
  return { bind: (pod, nodeName) => cluster.bind(pod as Pod, nodeName) };
}
