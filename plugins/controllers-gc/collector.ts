// The garbage collector: informers on every kind the server serves feed the owner graph, and
// workers act on the uids the graph's changes point at.
import {
  type api,
  apiVersionOf,
  type ComponentContext,
  type ControlPlaneComponent,
  discoverResources,
  done,
  InformerFactory,
  type Logger,
  type ObjectKey,
  type ReconcileResult,
  realTimers,
  refOfResource,
  runController,
  type ServerResource,
  sleep,
  WorkQueue,
} from '../../sdk/index.ts';
import {
  type ActionContext,
  attemptToDelete,
  deleteDependentsFirst,
  type GcClient,
  releaseDependents,
} from './actions.ts';
import { EventRecorder } from './events.ts';
import { foregroundFinalizer, OwnerGraph, orphanFinalizer } from './graph.ts';
import { ResourceIndex, resourceKey } from './resources.ts';

/** GarbageCollectorOptions tune the collector; tests shorten the rediscovery period. */
export interface GarbageCollectorOptions {
  /** rediscoverMs is how often discovery is read again for kinds added later (default 30 s). */
  readonly rediscoverMs?: number;
  readonly workers?: number;
}

// The collector reads only metadata; keeping only that bounds what every followed kind costs.
const metadataOnly = (o: api.KubeObject): api.KubeObject => {
  const m = o.metadata ?? {};
  return {
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      ...(m.ownerReferences === undefined ? {} : { ownerReferences: m.ownerReferences }),
      ...(m.finalizers === undefined ? {} : { finalizers: m.finalizers }),
      ...(m.deletionTimestamp === undefined ? {} : { deletionTimestamp: m.deletionTimestamp }),
    },
  };
};

// How long the collector waits for its first lists before it acts anyway.
const syncWaitMs = 60_000;

const hasGcFinalizer = (fins: readonly string[]) =>
  fins.includes(orphanFinalizer) || fins.includes(foregroundFinalizer);

/**
 * GarbageCollector deletes objects whose owners are all gone (Background), releases the
 * dependents of an owner deleted with Orphan and deletes those of an owner deleted with
 * Foreground before letting it go, for every kind discovery lists as listable, watchable and
 * deletable.
 */
export class GarbageCollector implements ControlPlaneComponent {
  #graph = new OwnerGraph();
  readonly #client: GcClient;
  readonly #options: GarbageCollectorOptions;
  #ctx: ActionContext | undefined;
  #factory: InformerFactory | undefined;
  #queue: WorkQueue | undefined;
  readonly #followed = new Set<string>();

  constructor(client: GcClient, options: GarbageCollectorOptions = {}) {
    this.#client = client;
    this.#options = options;
  }

  /** graph is the current run's owner graph. */
  get graph(): OwnerGraph {
    return this.#graph;
  }

  /** followed lists the resources the collector has informers on (`apps/v1/deployments`). */
  get followed(): string[] {
    return [...this.#followed].sort();
  }

  /** run follows the server until the signal aborts. */
  async run({ signal, logger }: ComponentContext): Promise<void> {
    const factory = new InformerFactory(this.#client, { logger });
    const queue = new WorkQueue();
    // A run starts from nothing, so a component started again (new leadership) relists all.
    this.#graph = new OwnerGraph();
    this.#followed.clear();
    this.#factory = factory;
    this.#queue = queue;
    const ctx: ActionContext = {
      client: this.#client,
      graph: this.graph,
      index: new ResourceIndex([]),
      events: new EventRecorder(this.#client, 'garbage-collector', logger),
      enqueue: (uid) => queue.add(uid),
    };
    this.#ctx = ctx;
    try {
      // Until discovery answers there is nothing to follow.
      while (!signal.aborted && !(await this.#discover(logger)))
        await sleep(realTimers, 1_000, signal);
      // Before every cache has listed, an orphaned or foreground owner would miss dependents;
      // a kind that never lists must not stop collection for good, though.
      const cap = new AbortController();
      const endCap = () => cap.abort();
      signal.addEventListener('abort', endCap, { once: true });
      const synced = await Promise.race([
        factory.waitForSync().then(() => true),
        sleep(realTimers, syncWaitMs, cap.signal).then(() => false),
      ]);
      endCap();
      signal.removeEventListener('abort', endCap);
      if (signal.aborted) return;
      if (!synced) logger.warn('some informers have not listed yet; collecting anyway');
      const running = runController({
        queue,
        reconcile: (key) => this.#reconcile(ctx, key),
        workers: this.#options.workers ?? 2,
        logger,
        signal,
      });
      while (!signal.aborted) {
        await sleep(realTimers, this.#options.rediscoverMs ?? 30_000, signal);
        if (!signal.aborted) await this.#discover(logger);
      }
      await running.finished;
    } finally {
      queue.shutDown();
      await factory.stop();
    }
  }

  async #reconcile(ctx: ActionContext, key: ObjectKey): Promise<ReconcileResult> {
    const node = this.graph.node(key.name);
    if (node === undefined || !node.observed) return done;
    if (node.deleting && node.finalizers.includes(orphanFinalizer))
      return releaseDependents(ctx, node);
    if (node.deleting && node.finalizers.includes(foregroundFinalizer))
      return deleteDependentsFirst(ctx, node);
    if (node.deleting || node.owners.length === 0) return done;
    return attemptToDelete(ctx, node);
  }

  // Reads discovery and starts informers on kinds not followed yet; false when it failed.
  async #discover(logger: Logger): Promise<boolean> {
    let found: ServerResource[];
    try {
      found = await discoverResources(this.#client);
    } catch (err) {
      logger.warn('discovery failed; trying again', {
        error: err instanceof Error ? err.message : String(err),
      });
      return false;
    }
    const factory = this.#factory;
    const ctx = this.#ctx;
    if (factory === undefined || ctx === undefined) return false;
    ctx.index = new ResourceIndex(found);
    for (const res of ctx.index.collectable()) {
      const key = resourceKey(res);
      if (this.#followed.has(key)) continue;
      this.#followed.add(key);
      const apiVersion = apiVersionOf(res);
      const informer = factory.informerFor(refOfResource(res), { transform: metadataOnly });
      informer.addHandlers({
        add: (o) => this.#changed(apiVersion, res.kind, o),
        update: (_old, o) => this.#changed(apiVersion, res.kind, o),
        delete: (o) => this.#gone(o),
      });
      informer.start();
    }
    return true;
  }

  #changed(apiVersion: string, kind: string, object: api.KubeObject): void {
    const change = this.graph.observe(apiVersion, kind, object);
    const node = change.node;
    if (node === undefined) return;
    const uid = node.identity.uid;
    if (
      (node.owners.length > 0 && (change.ownersChanged || change.deletingChanged)) ||
      (node.deleting && hasGcFinalizer(node.finalizers))
    )
      this.#queue?.add(uid);
    this.#wakeWaitingOwners([...change.ownersBefore, ...node.owners.map((r) => r.uid)]);
  }

  #gone(object: api.KubeObject): void {
    const uid = object.metadata?.uid ?? '';
    const change = this.graph.forget(uid);
    // Its dependents may have lost their last owner.
    for (const d of this.graph.node(uid)?.dependents ?? []) this.#queue?.add(d);
    this.#wakeWaitingOwners(change.ownersBefore);
  }

  // An owner deleted in the foreground waits on its dependents: any change of one may free it.
  #wakeWaitingOwners(uids: readonly string[]): void {
    for (const uid of new Set(uids)) {
      const owner = this.graph.node(uid);
      if (owner?.observed && owner.deleting && owner.finalizers.includes(foregroundFinalizer))
        this.#queue?.add(uid);
    }
  }
}
