// What the collector does for one node: delete a dependent whose owners are gone, release an
// orphaning owner's dependents, or wait out a foreground owner's dependents.
import {
  type api,
  done,
  isSkiffError,
  type KubeClient,
  type ReconcileResult,
  refOfResource,
  requeueAfter,
} from '../../sdk/index.ts';
import type { EventRecorder } from './events.ts';
import { foregroundFinalizer, type GraphNode, type OwnerGraph, orphanFinalizer } from './graph.ts';
import type { ResourceIndex } from './resources.ts';

/** GcClient is what the collector asks of the API server. */
export type GcClient = Pick<
  KubeClient,
  'get' | 'list' | 'watch' | 'delete' | 'patch' | 'update' | 'create' | 'getPath'
>;

/** ActionContext is what the collector's actions read and write through. */
export interface ActionContext {
  readonly client: GcClient;
  readonly graph: OwnerGraph;
  /** index is replaced when discovery is read again. */
  index: ResourceIndex;
  readonly events: EventRecorder;
  /** enqueue asks for a look at a uid. */
  readonly enqueue: (uid: string) => void;
}

/** OwnerState is what an ownerReference points at: a live owner, nothing, or an owner waiting. */
export type OwnerState = 'solid' | 'dangling' | 'waiting' | 'unresolved';

// How long to wait before looking again at a node whose owner's kind the server does not serve.
const unresolvedRetryMs = 30_000;
// A foreground owner is looked at again this often even if a dependent's event went missing.
const foregroundPollMs = 5_000;

const waitingOn = (o: { deleting: boolean; finalizers: readonly string[] }) =>
  o.deleting && o.finalizers.includes(foregroundFinalizer);

/** ownerState looks an owner up: in the graph when an informer reports it, else on the server. */
export async function ownerState(
  ctx: ActionContext,
  dependent: GraphNode,
  ref: api.OwnerReference,
): Promise<OwnerState> {
  const res = ctx.index.forOwner(ref.apiVersion, ref.kind);
  if (res === undefined) {
    await ctx.events.warn(
      dependent.identity,
      'OwnerRefUnresolved',
      `ownerRef [${ref.apiVersion}/${ref.kind}, name: ${ref.name}, uid: ${ref.uid}] names a kind the server does not serve`,
    );
    return 'unresolved';
  }
  if (res.namespaced && dependent.identity.namespace === '') {
    await ctx.events.warn(
      dependent.identity,
      'OwnerRefInvalidNamespace',
      `ownerRef [${ref.apiVersion}/${ref.kind}, namespace: , name: ${ref.name}, uid: ${ref.uid}] does not exist in namespace ""`,
    );
    return 'dangling';
  }
  const known = ctx.graph.node(ref.uid);
  if (known?.observed) return waitingOn(known) ? 'waiting' : 'solid';
  // The caches may lag behind the server either way, so absence is checked there.
  try {
    const owner = await ctx.client.get(
      refOfResource(res, res.namespaced ? dependent.identity.namespace : undefined),
      ref.name,
    );
    if (owner.metadata?.uid !== ref.uid) return 'dangling';
    const meta = owner.metadata ?? {};
    return waitingOn({
      deleting: meta.deletionTimestamp !== undefined,
      finalizers: meta.finalizers ?? [],
    })
      ? 'waiting'
      : 'solid';
  } catch (err) {
    if (isSkiffError(err, 'NotFound')) return 'dangling';
    throw err;
  }
}

function nodeRef(ctx: ActionContext, node: GraphNode) {
  const res = ctx.index.forOwner(node.identity.apiVersion, node.identity.kind);
  return res === undefined ? undefined : refOfResource(res, node.identity.namespace || undefined);
}

/** stripOwners removes the ownerReferences to some uids from a node's object. */
async function stripOwners(ctx: ActionContext, node: GraphNode, uids: ReadonlySet<string>) {
  const ref = nodeRef(ctx, node);
  if (ref === undefined) return;
  const kept = node.owners.filter((o) => !uids.has(o.uid));
  try {
    await ctx.client.patch(ref, node.identity.name, 'json', [
      { op: 'test', path: '/metadata/uid', value: node.identity.uid },
      { op: 'test', path: '/metadata/resourceVersion', value: node.resourceVersion },
      kept.length === 0
        ? { op: 'remove', path: '/metadata/ownerReferences' }
        : { op: 'replace', path: '/metadata/ownerReferences', value: kept },
    ]);
  } catch (err) {
    if (isSkiffError(err, 'NotFound')) return;
    throw err;
  }
}

/**
 * attemptToDelete handles a dependent: with a live owner it only drops references to owners
 * that are gone or going; with none it is deleted (Foreground when an owner waits on it).
 */
export async function attemptToDelete(
  ctx: ActionContext,
  node: GraphNode,
): Promise<ReconcileResult> {
  const states = await Promise.all(node.owners.map((ref) => ownerState(ctx, node, ref)));
  const solid = states.some((s) => s === 'solid');
  if (solid) {
    const stale = new Set(
      node.owners
        .filter((_, i) => states[i] === 'dangling' || states[i] === 'waiting')
        .map((r) => r.uid),
    );
    if (stale.size > 0) await stripOwners(ctx, node, stale);
    return done;
  }
  if (states.includes('unresolved')) return requeueAfter(unresolvedRetryMs);
  const blocking = node.owners.some(
    (ref, i) => states[i] === 'waiting' && ref.blockOwnerDeletion === true,
  );
  const policy = blocking
    ? 'Foreground'
    : node.finalizers.includes(orphanFinalizer)
      ? 'Orphan'
      : node.finalizers.includes(foregroundFinalizer)
        ? 'Foreground'
        : 'Background';
  const ref = nodeRef(ctx, node);
  if (ref === undefined) return requeueAfter(unresolvedRetryMs);
  try {
    await ctx.client.delete(ref, node.identity.name, {
      propagationPolicy: policy,
      resourceVersion: node.resourceVersion,
    });
  } catch (err) {
    if (isSkiffError(err, 'NotFound')) return done;
    // Changed since the cache saw it: its next event brings it back with the new version.
    if (isSkiffError(err, 'Conflict')) return requeueAfter(500);
    if (isSkiffError(err))
      await ctx.events.warn(
        node.identity,
        'GarbageCollectionFailed',
        `deleting ${node.identity.kind} ${node.identity.name}, whose owners are gone, failed: ${err.message}`,
      );
    throw err;
  }
  return done;
}

/** releaseDependents drops an orphaning owner from its dependents, then lets the owner go. */
export async function releaseDependents(
  ctx: ActionContext,
  node: GraphNode,
): Promise<ReconcileResult> {
  const own = new Set([node.identity.uid]);
  for (const dependent of ctx.graph.dependentsOf(node.identity.uid))
    await stripOwners(ctx, dependent, own);
  await removeFinalizer(ctx, node, orphanFinalizer);
  return done;
}

/**
 * deleteDependentsFirst asks for each dependent of a foreground owner to be looked at (they
 * see their owner waiting and go), and lets the owner go once no blocking dependent is left.
 */
export async function deleteDependentsFirst(
  ctx: ActionContext,
  node: GraphNode,
): Promise<ReconcileResult> {
  const uid = node.identity.uid;
  const dependents = ctx.graph.dependentsOf(uid);
  for (const d of dependents) if (!d.deleting) ctx.enqueue(d.identity.uid);
  const blocking = dependents.filter((d) =>
    d.owners.some((r) => r.uid === uid && r.blockOwnerDeletion === true),
  );
  if (blocking.length > 0) return requeueAfter(foregroundPollMs);
  await removeFinalizer(ctx, node, foregroundFinalizer);
  return done;
}

/** removeFinalizer takes one finalizer off the object the node names, reading it fresh. */
async function removeFinalizer(ctx: ActionContext, node: GraphNode, finalizer: string) {
  const ref = nodeRef(ctx, node);
  if (ref === undefined) return;
  for (let attempt = 0; ; attempt++) {
    let object: api.KubeObject;
    try {
      object = await ctx.client.get(ref, node.identity.name);
    } catch (err) {
      if (isSkiffError(err, 'NotFound')) return;
      throw err;
    }
    const meta = object.metadata ?? {};
    if (meta.uid !== node.identity.uid || !(meta.finalizers ?? []).includes(finalizer)) return;
    meta.finalizers = (meta.finalizers ?? []).filter((f) => f !== finalizer);
    try {
      await ctx.client.update(ref, { ...object, metadata: meta });
      return;
    } catch (err) {
      if (isSkiffError(err, 'NotFound')) return;
      if (!isSkiffError(err, 'Conflict') || attempt >= 4) throw err;
    }
  }
}
