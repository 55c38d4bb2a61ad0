// The node lifecycle controller: node health from Lease renewals, taints from the Ready
// condition, and taint-based eviction of the pods on tainted nodes.
import {
  type api,
  type Controller,
  done,
  type Informer,
  type InformerFactory,
  isSkiffError,
  type KubeClient,
  type Logger,
  type ObjectKey,
  type ReconcileResult,
  requeueAfter,
} from '../../sdk/index.ts';
import { recordEvent } from './events.ts';
import { desiredTaints, evictionOf, readyStatus, unknownConditions } from './node-health.ts';
import type { NodeLifecycleOptions } from './options.ts';

const nodesRef = { group: '', version: 'v1', plural: 'nodes' };
const leasesRef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  namespace: 'kube-node-lease',
};
const podsRef = { group: '', version: 'v1', plural: 'pods' };
const podsIn = (namespace: string) => ({ ...podsRef, namespace });
const byNode = 'nodeName';

type Lease = api.KubeObject & { spec?: { renewTime?: string } };

/** NodeLifecycleSources are what the controller reads and writes through. */
export interface NodeLifecycleSources {
  readonly client: Pick<KubeClient, 'create' | 'update' | 'updateStatus' | 'delete'>;
  readonly nodes: Informer<api.Node>;
  readonly leases: Informer<Lease>;
  readonly pods: Informer<api.Pod>;
  /** factory holds those informers; the controller's keys must come from it too. */
  readonly factory?: InformerFactory;
  readonly now: () => number;
  readonly logger?: Logger;
}

/** nodeLifecycleSources makes the informers the controller reads in a factory. */
export function nodeLifecycleSources(
  client: NodeLifecycleSources['client'],
  factory: InformerFactory,
  logger?: Logger,
  now: () => number = Date.now,
): NodeLifecycleSources {
  return {
    client,
    nodes: factory.informerFor<api.Node>(nodesRef),
    leases: factory.informerFor<Lease>(leasesRef),
    pods: factory.informerFor<api.Pod>(podsRef, {
      indexers: { [byNode]: (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []) },
    }),
    factory,
    now,
    ...(logger === undefined ? {} : { logger }),
  };
}

const heartbeatOf = (node: api.Node) =>
  node.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime ?? '';

/**
 * NodeLifecycleReconciler reconciles one Node. A node is healthy while this process has seen
 * its Lease renewed (or its Ready heartbeat move) within the grace period; times are those of
 * this process's clock when it saw the change, as Kubernetes does, so clock skew between
 * nodes and the control plane does not matter.
 */
export class NodeLifecycleReconciler {
  readonly #src: NodeLifecycleSources;
  readonly #opts: NodeLifecycleOptions;
  /** seen maps a node to the last heartbeat values seen and when this process saw them change. */
  readonly #seen = new Map<string, { lease: string; ready: string; at: number }>();
  #started = false;

  constructor(src: NodeLifecycleSources, opts: NodeLifecycleOptions) {
    this.#src = src;
    this.#opts = opts;
    const leaseOf = (l: Lease) => l.spec?.renewTime ?? '';
    const touch = (name: string, lease?: string, ready?: string) => {
      const prev = this.#seen.get(name);
      const next = { lease: lease ?? prev?.lease ?? '', ready: ready ?? prev?.ready ?? '' };
      if (prev?.lease !== next.lease || prev?.ready !== next.ready)
        this.#seen.set(name, { ...next, at: src.now() });
    };
    src.leases.addHandlers({
      add: (l) => touch(l.metadata?.name ?? '', leaseOf(l)),
      update: (_o, l) => touch(l.metadata?.name ?? '', leaseOf(l)),
    });
    src.nodes.addHandlers({
      add: (n) => touch(n.metadata?.name ?? '', undefined, heartbeatOf(n)),
      update: (_o, n) => touch(n.metadata?.name ?? '', undefined, heartbeatOf(n)),
      delete: (n) => this.#seen.delete(n.metadata?.name ?? ''),
    });
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const i of [this.#src.nodes, this.#src.leases, this.#src.pods]) i.start();
  }

  /** reconcile runs one pass for the Node named by the key. */
  async reconcile(key: ObjectKey): Promise<ReconcileResult> {
    this.#start();
    const src = this.#src;
    if (!src.nodes.hasSynced() || !src.leases.hasSynced() || !src.pods.hasSynced())
      return requeueAfter(100);
    let node = src.nodes.cache.get(key.name);
    if (node === undefined || node.metadata?.deletionTimestamp) return done;
    const now = src.now();
    const seen = this.#seen.get(key.name) ?? { lease: '', ready: heartbeatOf(node), at: now };
    if (!this.#seen.has(key.name)) this.#seen.set(key.name, seen);
    const graceMs = this.#opts.nodeMonitorGracePeriodSeconds * 1000;
    const silentFor = now - seen.at;
    if (silentFor > graceMs) {
      const conditions = unknownConditions(node, now);
      if (conditions !== undefined) {
        src.logger?.info('node stopped posting status; marking it Unknown', { node: key.name });
        node = await src.client.updateStatus<api.Node>(nodesRef, {
          ...node,
          status: { ...node.status, conditions },
        });
        await recordEvent(
          src.client,
          { kind: 'Node', name: key.name, uid: node.metadata?.uid ?? '' },
          'Normal',
          'NodeNotReady',
          `Node ${key.name} status is now: NodeNotReady`,
          src.logger,
        );
      }
    }
    if (readyStatus(node) !== 'True' && readyStatus(node) !== undefined)
      await this.#markPodsNotReady(key.name, now);
    const taints = desiredTaints(node, now);
    if (taints !== undefined) {
      node = await src.client.update<api.Node>(nodesRef, {
        ...node,
        spec: { ...node.spec, taints },
      });
    }
    const waits: number[] = [];
    if (readyStatus(node) !== 'Unknown') waits.push(Math.max(0, graceMs - silentFor) + 50);
    const nodeTaints = node.spec?.taints ?? [];
    if (nodeTaints.some((t) => t.effect === 'NoExecute')) {
      // Pods may still land here (they tolerate the taint), and nothing about them enqueues
      // the node: look again every monitor period.
      waits.push(this.#opts.nodeMonitorPeriodSeconds * 1000);
      for (const pod of src.pods.cache.byIndex(byNode, key.name)) {
        if (pod.metadata?.deletionTimestamp) continue;
        const phase = pod.status?.phase;
        if (phase === 'Succeeded' || phase === 'Failed') continue;
        const eviction = evictionOf(pod, nodeTaints, this.#opts.defaultTolerationSeconds, now);
        if (eviction.evict === 'at') waits.push(eviction.atMs - now);
        if (eviction.evict !== 'now') continue;
        const { namespace = 'default', name = '' } = pod.metadata ?? {};
        src.logger?.info('evicting pod from tainted node', {
          pod: `${namespace}/${name}`,
          node: key.name,
          reason: eviction.taint,
        });
        try {
          await src.client.delete(podsIn(namespace), name);
        } catch (err) {
          if (!isSkiffError(err, 'NotFound')) throw err;
          continue;
        }
        await recordEvent(
          src.client,
          { kind: 'Pod', name, namespace, uid: pod.metadata?.uid ?? '' },
          'Normal',
          'TaintManagerEviction',
          `Marking for deletion Pod ${namespace}/${name}`,
          src.logger,
        );
      }
    }
    return waits.length === 0 ? done : requeueAfter(Math.max(10, Math.min(...waits)));
  }

  /**
   * markPodsNotReady sets the Ready condition of the node's pods to False, as Kubernetes does
   * for a node that is not Ready, so Services stop sending them traffic before any eviction.
   */
  async #markPodsNotReady(nodeName: string, now: number): Promise<void> {
    const src = this.#src;
    const t = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
    for (const pod of src.pods.cache.byIndex(byNode, nodeName)) {
      const conditions = pod.status?.conditions ?? [];
      if (!conditions.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
      const { namespace = 'default', name = '' } = pod.metadata ?? {};
      try {
        await src.client.updateStatus<api.Pod>(podsIn(namespace), {
          ...pod,
          status: {
            ...pod.status,
            conditions: conditions.map((c) =>
              c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: t } : c,
            ),
          },
        });
      } catch (err) {
        if (isSkiffError(err, 'NotFound')) continue;
        throw err;
      }
      await recordEvent(
        src.client,
        { kind: 'Pod', name, namespace, uid: pod.metadata?.uid ?? '' },
        'Warning',
        'NodeNotReady',
        'Node is not ready',
        src.logger,
      );
    }
  }
}

/** nodeLifecycleController is the Controller value: it owns Nodes. */
export function nodeLifecycleController(
  src: NodeLifecycleSources,
  opts: NodeLifecycleOptions,
): Controller {
  return {
    name: 'nodelifecycle',
    owns: { apiVersion: 'v1', kind: 'Node' },
    concurrency: 4,
    reconciler: new NodeLifecycleReconciler(src, opts),
    ...(src.factory === undefined ? {} : { informers: src.factory }),
  };
}
