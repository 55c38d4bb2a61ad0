import type { Node } from '../../sdk/api/core/node.ts';
import type { Pod } from '../../sdk/api/core/pod.ts';
import type { KubeClient } from '../../sdk/client/client.ts';
import type { ResourceRef } from '../../sdk/client/resource.ts';
import { Informer } from '../../sdk/controller/informer.ts';
import { isSkiffError } from '../../sdk/errors.ts';
import type { Logger } from '../../sdk/plugin.ts';
import { type Status, status, success } from '../../sdk/scheduler.ts';
import type { PodCondition, SchedulerCluster, SchedulerEvent, WatchEvent } from './cluster.ts';

const podsRef: ResourceRef = { group: '', version: 'v1', plural: 'pods' };
const nodesRef: ResourceRef = { group: '', version: 'v1', plural: 'nodes' };

/** ApiClusterOptions tunes the API-backed cluster. */
export interface ApiClusterOptions {
  /** component names the scheduler in events (source.component), as Kubernetes does. */
  readonly component?: string;
  readonly logger?: Logger;
  /**
   * maxQueuedEvents bounds the events waiting to be written (default 1000); past it new events
   * are dropped, as Kubernetes' event broadcaster drops them when its queue is full.
   */
  readonly maxQueuedEvents?: number;
  /** eventWriters is how many events are written at once (default 4), so binds keep the pool. */
  readonly eventWriters?: number;
}

/**
 * ApiCluster is the SchedulerCluster of a real cluster: informers on pods and nodes, the pods'
 * binding subresource, the status subresource for PodScheduled and Event objects.
 */
export class ApiCluster implements SchedulerCluster {
  private readonly informers: Informer[] = [];
  private readonly component: string;
  private readonly events: Array<{ pod: Pod; event: SchedulerEvent }> = [];
  private eventWriters = 0;
  private droppedEvents = 0;
  private eventsIdle: Array<() => void> = [];

  constructor(
    private readonly client: KubeClient,
    private readonly opts: ApiClusterOptions = {},
  ) {
    this.component = opts.component ?? 'default-scheduler';
  }

  watchPods(handler: (e: WatchEvent<Pod>) => void): () => void {
    return this.follow<Pod>(podsRef, handler);
  }

  watchNodes(handler: (e: WatchEvent<Node>) => void): () => void {
    return this.follow<Node>(nodesRef, handler);
  }

  /** close stops every informer, waits for them to end and for queued events to be written. */
  async close(): Promise<void> {
    await Promise.all(this.informers.splice(0).map((i) => i.stop()));
    await this.flushEvents();
  }

  /** flushEvents resolves once every queued event has been written (or given up on). */
  flushEvents(): Promise<void> {
    if (this.events.length === 0 && this.eventWriters === 0) return Promise.resolve();
    return new Promise((r) => this.eventsIdle.push(r));
  }

  async bind(pod: Pod, nodeName: string): Promise<Status> {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? 'default';
    try {
      await this.client.create(
        { ...podsRef, namespace, plural: `pods/${encodeURIComponent(name)}/binding` },
        {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name, namespace, uid: pod.metadata?.uid },
          target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
        } as Pod,
      );
      return success;
    } catch (err) {
      if (!isSkiffError(err)) throw err;
      return status('Error', err.message);
    }
  }

  async setCondition(pod: Pod, condition: PodCondition): Promise<void> {
    const name = pod.metadata?.name ?? '';
    const ref = { ...podsRef, namespace: pod.metadata?.namespace ?? 'default' };
    // One retry on a write conflict: the pod changed since we read it, read it again.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const current = await this.client.get<Pod>(ref, name);
        const old = current.status?.conditions ?? [];
        const prev = old.find((c) => c.type === condition.type);
        const unchanged =
          prev?.status === condition.status &&
          prev?.reason === condition.reason &&
          prev?.message === condition.message;
        if (unchanged) return;
        const next = {
          ...condition,
          lastProbeTime: null,
          lastTransitionTime:
            prev?.status === condition.status ? prev.lastTransitionTime : new Date().toISOString(),
        };
        const conditions = [...old.filter((c) => c.type !== condition.type), next];
        await this.client.updateStatus(ref, {
          ...current,
          status: { ...current.status, conditions },
        } as Pod);
        return;
      } catch (err) {
        if (!isSkiffError(err)) throw err;
        if (err.code === 'NotFound') return;
        if (err.code !== 'Conflict' || attempt === 1) {
          this.opts.logger?.warn('could not record PodScheduled', {
            pod: name,
            error: err.message,
          });
          return;
        }
      }
    }
  }

  /**
   * recordEvent queues the event and returns: events are written in the background by a few
   * writers, so they neither hold up the binding cycle nor take the connections binds need.
   */
  async recordEvent(pod: Pod, event: SchedulerEvent): Promise<void> {
    if (this.events.length >= (this.opts.maxQueuedEvents ?? 1000)) {
      this.droppedEvents += 1;
      // One warning per thousand drops: a flood of events must not become a flood of logs.
      if (this.droppedEvents % 1000 === 1) {
        this.opts.logger?.warn('event queue full, dropping events', {
          dropped: this.droppedEvents,
        });
      }
      return;
    }
    this.events.push({ pod, event });
    if (this.eventWriters < (this.opts.eventWriters ?? 4)) {
      this.eventWriters += 1;
      void this.writeEvents();
    }
  }

  private async writeEvents(): Promise<void> {
    for (let next = this.events.shift(); next !== undefined; next = this.events.shift()) {
      await this.writeEvent(next.pod, next.event).catch((err: unknown) =>
        this.opts.logger?.warn('could not record event', {
          pod: next?.pod.metadata?.name,
          error: err instanceof Error ? err.message : String(err),
        }),
      );
    }
    this.eventWriters -= 1;
    if (this.eventWriters === 0) for (const r of this.eventsIdle.splice(0)) r();
  }

  private async writeEvent(pod: Pod, event: SchedulerEvent): Promise<void> {
    const namespace = pod.metadata?.namespace ?? 'default';
    const now = new Date().toISOString();
    const name = `${pod.metadata?.name}.${Date.now().toString(16)}${Math.floor(Math.random() * 4096).toString(16)}`;
    try {
      await this.client.create({ group: '', version: 'v1', plural: 'events', namespace }, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: 'v1',
          kind: 'Pod',
          name: pod.metadata?.name,
          namespace,
          uid: pod.metadata?.uid,
        },
        type: event.type,
        reason: event.reason,
        message: event.message,
        source: { component: this.component },
        reportingComponent: this.component,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      } as Pod);
    } catch (err) {
      if (!isSkiffError(err)) throw err;
      this.opts.logger?.warn('could not record event', {
        pod: pod.metadata?.name,
        error: err.message,
      });
    }
  }

  private follow<T extends Pod | Node>(
    ref: ResourceRef,
    handler: (e: WatchEvent<T>) => void,
  ): () => void {
    const informer = new Informer<T>(this.client, ref, { logger: this.opts.logger });
    informer.addHandlers({
      add: (object) => handler({ type: 'ADDED', object }),
      update: (_old, object) => handler({ type: 'MODIFIED', object }),
      delete: (object) => handler({ type: 'DELETED', object }),
    });
    this.informers.push(informer as unknown as Informer);
    informer.start();
    return () => {
      void informer.stop();
    };
  }
}
