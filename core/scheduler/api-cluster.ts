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
}

/**
 * ApiCluster is the SchedulerCluster of a real cluster: informers on pods and nodes, the pods'
 * binding subresource, the status subresource for PodScheduled and Event objects.
 */
export class ApiCluster implements SchedulerCluster {
  private readonly informers: Informer[] = [];
  private readonly component: string;

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

  /** close stops every informer and waits for them to end. */
  async close(): Promise<void> {
    await Promise.all(this.informers.splice(0).map((i) => i.stop()));
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

  async recordEvent(pod: Pod, event: SchedulerEvent): Promise<void> {
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
