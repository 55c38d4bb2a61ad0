// The garbage collector's picture of who owns whom, by uid, fed by the informers of every kind.
import type { api } from '../../sdk/index.ts';

/** orphanFinalizer holds an owner until its dependents no longer point at it. */
export const orphanFinalizer = 'orphan';

/** foregroundFinalizer holds an owner until its blocking dependents are gone. */
export const foregroundFinalizer = 'foregroundDeletion';

/** ObjectIdentity names one object across kinds. */
export interface ObjectIdentity {
  readonly apiVersion: string;
  readonly kind: string;
  /** namespace is '' for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** GraphNode is one object the graph knows: seen by an informer, or only named as an owner. */
export interface GraphNode {
  identity: ObjectIdentity;
  /** observed is false for an owner known only from its dependents' ownerReferences. */
  observed: boolean;
  owners: api.OwnerReference[];
  finalizers: string[];
  deleting: boolean;
  resourceVersion: string;
  /** dependents are the uids of objects whose ownerReferences name this one. */
  readonly dependents: Set<string>;
}

/** GraphChange says which nodes an informer event makes worth a look. */
export interface GraphChange {
  /** node is the object's node after the change (undefined once it is gone). */
  readonly node: GraphNode | undefined;
  /** ownersBefore are the owner uids before the change (for owners waiting on dependents). */
  readonly ownersBefore: readonly string[];
  readonly ownersChanged: boolean;
  readonly deletingChanged: boolean;
}

const ownerUids = (refs: readonly api.OwnerReference[]) => refs.map((r) => r.uid);

/** OwnerGraph keeps owner→dependents edges of every object the informers report. */
export class OwnerGraph {
  readonly #nodes = new Map<string, GraphNode>();

  /** size counts the nodes, owners only named included. */
  get size(): number {
    return this.#nodes.size;
  }

  /** node returns the node of a uid. */
  node(uid: string): GraphNode | undefined {
    return this.#nodes.get(uid);
  }

  /** dependentsOf lists the observed dependents of a uid. */
  dependentsOf(uid: string): GraphNode[] {
    const out: GraphNode[] = [];
    for (const d of this.#nodes.get(uid)?.dependents ?? []) {
      const node = this.#nodes.get(d);
      if (node?.observed) out.push(node);
    }
    return out;
  }

  /** observe records an object an informer added or updated. */
  observe(apiVersion: string, kind: string, object: api.KubeObject): GraphChange {
    const meta = object.metadata ?? {};
    const uid = meta.uid ?? '';
    const identity: ObjectIdentity = {
      apiVersion,
      kind,
      namespace: meta.namespace ?? '',
      name: meta.name ?? '',
      uid,
    };
    const owners = [...(meta.ownerReferences ?? [])];
    const deleting = meta.deletionTimestamp !== undefined;
    const existing = this.#nodes.get(uid);
    const ownersBefore = existing?.observed ? ownerUids(existing.owners) : [];
    const node: GraphNode = existing ?? {
      identity,
      observed: true,
      owners: [],
      finalizers: [],
      deleting: false,
      resourceVersion: '',
      dependents: new Set(),
    };
    const deletingChanged = !existing?.observed || node.deleting !== deleting;
    node.identity = identity;
    node.observed = true;
    node.finalizers = [...(meta.finalizers ?? [])];
    node.deleting = deleting;
    node.resourceVersion = meta.resourceVersion ?? '';
    node.owners = owners;
    this.#nodes.set(uid, node);
    const after = ownerUids(owners);
    const ownersChanged = ownersBefore.join(',') !== after.join(',');
    for (const gone of ownersBefore) if (!after.includes(gone)) this.#unlink(gone, uid);
    for (const ref of owners) this.#link(ref, identity.namespace, uid);
    return { node, ownersBefore, ownersChanged, deletingChanged };
  }

  /** forget records that an object is gone; a node others still name stays as a bare owner. */
  forget(uid: string): GraphChange {
    const node = this.#nodes.get(uid);
    if (node === undefined || !node.observed)
      return { node: undefined, ownersBefore: [], ownersChanged: false, deletingChanged: false };
    const ownersBefore = ownerUids(node.owners);
    for (const owner of ownersBefore) this.#unlink(owner, uid);
    node.observed = false;
    node.owners = [];
    node.finalizers = [];
    if (node.dependents.size === 0) this.#nodes.delete(uid);
    return { node: undefined, ownersBefore, ownersChanged: true, deletingChanged: true };
  }

  #link(ref: api.OwnerReference, namespace: string, dependent: string): void {
    let owner = this.#nodes.get(ref.uid);
    if (owner === undefined) {
      // The owner's namespace is a guess (the dependent's) until an informer reports it.
      owner = {
        identity: {
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          namespace,
          name: ref.name,
          uid: ref.uid,
        },
        observed: false,
        owners: [],
        finalizers: [],
        deleting: false,
        resourceVersion: '',
        dependents: new Set(),
      };
      this.#nodes.set(ref.uid, owner);
    }
    owner.dependents.add(dependent);
  }

  #unlink(ownerUid: string, dependent: string): void {
    const owner = this.#nodes.get(ownerUid);
    if (owner === undefined) return;
    owner.dependents.delete(dependent);
    if (!owner.observed && owner.dependents.size === 0) this.#nodes.delete(ownerUid);
  }
}
