import { randomUUID } from 'node:crypto';
import { invalidError } from '../../sdk/api/kinds.ts';
import type { KubeObject, ObjectMeta } from '../../sdk/api/meta.ts';
import { parseFieldSelector } from '../../sdk/api/selectors/field-selector.ts';
import { matchesLabels, parseLabelSelector } from '../../sdk/api/selectors/label-selector.ts';
import { isSkiffError, SkiffError } from '../../sdk/errors.ts';
import type { Store } from '../store/store.ts';
import { decodeBody, generatedName, specOf, type WriteContext } from './decode.ts';
import {
  blockingFinalizers,
  finalizersForDelete,
  propagationOf,
  withNamespaceFinalizer,
} from './deletion.ts';
import { fieldValue, selectableFields } from './field-getters.ts';
import { recordUpdate, rootDefinition } from './patch/index.ts';
import {
  decodeStored,
  encodeStored,
  fromStorage,
  type Resource,
  type ResourceRegistry,
  storageKey,
  storagePrefix,
  toStorage,
} from './resources.ts';
import { apiError } from './status.ts';
import { type WriteHook, type WriteHooks, writeHookKey } from './write-hook.ts';

// raced marks a delete whose write met a concurrent write; deleteAttempts bounds the retries.
const raced = Symbol('raced');
const deleteAttempts = 5;

/** ListQuery holds a list's selectors and paging. */
export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

/** ListPage is one page of a list in the served version. */
export interface ListPage {
  items: KubeObject[];
  revision: number;
  continue?: string;
  remaining?: number;
}

/** DeleteRequest holds a delete's options (the DeleteOptions body and query). */
export interface DeleteRequest {
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
  /** orphanDependents is the legacy form of propagationPolicy Orphan. */
  orphanDependents?: boolean | string;
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** ObjectFilter tells whether an object matches a list or watch's selectors. */
export type ObjectFilter = (object: KubeObject) => boolean;

/** generationKinds are the kinds whose metadata.generation counts spec changes, as in Kubernetes. */
export const generationKinds = new Set([
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'ReplicationController',
  'Job',
  'CronJob',
  'HorizontalPodAutoscaler',
  'Ingress',
]);

/** protectedNamespaces may not be deleted. */
export const protectedNamespaces = ['default', 'kube-system', 'kube-public'];

const ref = (res: Resource, name: string) => ({
  group: res.def.group,
  plural: res.def.plural,
  name,
});

/** ObjectService reads and writes API objects in the store: the verbs behind every route. */
export class ObjectService {
  readonly #store: Store;
  readonly #registry: ResourceRegistry;
  readonly #hooks: WriteHooks;

  constructor(store: Store, registry: ResourceRegistry, hooks: WriteHooks = new Map()) {
    this.#store = store;
    this.#registry = registry;
    this.#hooks = hooks;
  }

  #hook(res: Resource): WriteHook | undefined {
    return this.#hooks.get(writeHookKey(res.storage.group, res.storage.kind));
  }

  get store(): Store {
    return this.#store;
  }

  /** get returns one object in the served version, or throws NotFound. */
  async get(res: Resource, ns: string | undefined, name: string): Promise<KubeObject> {
    const item = await this.#store.get(storageKey(res, ns, name));
    if (item === undefined) throw apiError('NotFound', ref(res, name));
    return fromStorage(res, decodeStored(item.value), item.modRevision);
  }

  /** filter builds the selector predicate of a list or watch; a bad selector is BadRequest. */
  filter(res: Resource, query: ListQuery): ObjectFilter | undefined {
    const labels = parseLabelSelector(query.labelSelector ?? '');
    if (!labels.ok)
      throw new SkiffError('BadRequest', `unable to parse requirement: ${labels.message}`);
    const fields = parseFieldSelector(query.fieldSelector ?? '');
    if (!fields.ok) throw new SkiffError('BadRequest', fields.message);
    const known = selectableFields(res.def.kind);
    for (const r of fields.requirements)
      if (!known.includes(r.field))
        throw new SkiffError('BadRequest', `field label not supported: ${r.field}`);
    if (labels.selector.requirements.length === 0 && fields.requirements.length === 0)
      return undefined;
    return (o) =>
      matchesLabels(labels.selector, o.metadata?.labels) &&
      fields.requirements.every((r) => {
        const actual = fieldValue(res.def.kind, o, r.field) ?? '';
        return r.operator === '!=' ? actual !== r.value : actual === r.value;
      });
  }

  /** list returns the objects of a resource, in one namespace or all, filtered and paged. */
  async list(res: Resource, ns: string | undefined, query: ListQuery): Promise<ListPage> {
    const filter = this.filter(res, query);
    const prefix = storagePrefix(res, ns);
    // Paging with selectors would return short pages; selected lists come whole.
    const paged = filter === undefined && (query.limit ?? 0) > 0;
    const page = await this.#store.list(
      prefix,
      paged ? { limit: query.limit, ...(query.continue ? { continue: query.continue } : {}) } : {},
    );
    let items = page.items.map((i) => fromStorage(res, decodeStored(i.value), i.modRevision));
    if (filter !== undefined) items = items.filter(filter);
    return {
      items,
      revision: page.revision,
      ...(paged && page.continue !== undefined
        ? { continue: page.continue, remaining: page.remaining }
        : {}),
    };
  }

  async #checkNamespace(res: Resource, ns: string | undefined, name: string): Promise<void> {
    if (!res.def.namespaced || ns === undefined) return;
    const nsRes = this.#registry.find('', 'v1', 'namespaces');
    if (nsRes === undefined) return;
    const item = await this.#store.get(storageKey(nsRes, undefined, ns));
    if (item === undefined)
      throw apiError('NotFound', { group: '', plural: 'namespaces', name: ns });
    const nsObj = decodeStored(item.value);
    if (nsObj.metadata?.deletionTimestamp !== undefined)
      throw new SkiffError(
        'Forbidden',
        `${res.def.plural} ${JSON.stringify(name)} is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
        { details: { name, group: res.def.group, kind: res.def.plural } },
      );
  }

  // Creates and updates record their field manager's fields, as Kubernetes does.
  #recordManager(
    res: Resource,
    before: KubeObject | undefined,
    after: KubeObject,
    ctx: WriteContext,
    subresource?: string,
  ): KubeObject {
    if (ctx.fieldManager === undefined || ctx.fieldManager === '' || ctx.patched) return after;
    const definition = rootDefinition(res.def.group, res.def.kind);
    return recordUpdate(before, after, {
      manager: ctx.fieldManager,
      apiVersion: res.def.apiVersion,
      now: new Date(),
      ...(subresource === undefined ? {} : { subresource }),
      ...(definition === undefined ? {} : { definition }),
    });
  }

  #validate(res: Resource, object: KubeObject, prev?: KubeObject): KubeObject {
    const defaulted = res.def.default(object);
    const errors =
      prev === undefined ? res.def.validate(defaulted) : res.def.validateUpdate(defaulted, prev);
    if (errors.length > 0) throw invalidError(res.def, defaulted, errors);
    return defaulted;
  }

  #placeInNamespace(res: Resource, object: KubeObject, ns: string | undefined): void {
    const meta = object.metadata ?? {};
    if (!res.def.namespaced) {
      delete meta.namespace;
      return;
    }
    if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== ns)
      throw new SkiffError(
        'BadRequest',
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    if (ns !== undefined) meta.namespace = ns;
  }

  /** create stores a new object: name generation, defaults, validation, uid and timestamps. */
  async create(
    res: Resource,
    ns: string | undefined,
    body: unknown,
    ctx: WriteContext,
  ): Promise<KubeObject> {
    const object = decodeBody(res, body, ctx);
    const meta = object.metadata ?? {};
    this.#placeInNamespace(res, object, ns);
    if ((meta.name === undefined || meta.name === '') && meta.generateName)
      meta.name = generatedName(meta.generateName);
    for (const k of ['uid', 'resourceVersion', 'deletionTimestamp', 'selfLink'] as const)
      delete meta[k];
    delete meta.deletionGracePeriodSeconds;
    meta.uid = randomUUID();
    meta.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    if (generationKinds.has(res.def.kind)) meta.generation = 1;
    else delete meta.generation;
    object.metadata = meta;
    if (res.def.subresources.includes('status')) {
      if (res.def.kind === 'Pod') object.status = { phase: 'Pending' };
      else if (res.def.kind === 'Namespace') object.status = { phase: 'Active' };
      // Status is the controllers' to write. Dropping a status sent with a create (as in a
      // manifest saved with `kubectl get -o yaml`) keeps required status fields, such as a
      // ReplicaSet's replicas, from failing the create.
      else delete object.status;
    }
    if (res.def.kind === 'Namespace') withNamespaceFinalizer(object);
    const valid = this.#recordManager(res, undefined, this.#validate(res, object), ctx);
    const name = valid.metadata?.name ?? '';
    await this.#checkNamespace(res, ns, name);
    const key = storageKey(res, ns, name);
    if (ctx.dryRun) {
      if ((await this.#store.get(key)) !== undefined)
        throw apiError('AlreadyExists', ref(res, name));
      await this.#hook(res)?.beforeWrite(valid, undefined, true);
      return fromStorage(res, toStorage(res, valid), await this.#store.currentRevision());
    }
    const pending = await this.#hook(res)?.beforeWrite(valid, undefined, false);
    try {
      const rev = await this.#store.create(key, encodeStored(toStorage(res, valid)));
      await pending?.commit();
      return fromStorage(res, toStorage(res, valid), rev);
    } catch (err) {
      await pending?.abort();
      if (isSkiffError(err, 'AlreadyExists')) throw apiError('AlreadyExists', ref(res, name));
      throw err;
    }
  }

  /**
   * update replaces an object (or only its status, for the status subresource). A stale
   * resourceVersion is a Conflict; generation grows when anything but metadata and status
   * changes; an object being deleted whose last finalizer goes is removed. A Namespace's
   * spec.finalizers change only through the finalize subresource.
   */
  async update(
    res: Resource,
    ns: string | undefined,
    name: string,
    body: unknown,
    ctx: WriteContext,
    subresource?: 'status' | 'finalize',
  ): Promise<KubeObject> {
    const incoming = decodeBody(res, body, ctx);
    const key = storageKey(res, ns, name);
    const item = await this.#store.get(key);
    if (item === undefined) throw apiError('NotFound', ref(res, name));
    const current = fromStorage(res, decodeStored(item.value), item.modRevision);
    const meta = incoming.metadata ?? {};
    if (meta.name !== undefined && meta.name !== name)
      throw new SkiffError(
        'BadRequest',
        `the name of the object (${meta.name}) does not match the name on the URL (${name})`,
      );
    this.#placeInNamespace(res, incoming, ns);
    if (
      meta.resourceVersion !== undefined &&
      meta.resourceVersion !== '' &&
      meta.resourceVersion !== String(item.modRevision)
    )
      throw apiError('Conflict', ref(res, name));
    let next: KubeObject;
    const cm = current.metadata ?? {};
    if (subresource === 'status') {
      next = { ...current, status: incoming.status };
    } else if (subresource === 'finalize') {
      const finalizers = (incoming.spec as { finalizers?: string[] } | undefined)?.finalizers;
      next = { ...current, spec: { ...(current.spec as object), finalizers: finalizers ?? [] } };
    } else {
      next = incoming;
      next.metadata = {
        ...meta,
        name,
        uid: cm.uid,
        creationTimestamp: cm.creationTimestamp,
        ...(cm.generation === undefined ? {} : { generation: cm.generation }),
        ...(cm.deletionTimestamp === undefined
          ? {}
          : {
              deletionTimestamp: cm.deletionTimestamp,
              deletionGracePeriodSeconds: cm.deletionGracePeriodSeconds,
            }),
      };
      if (res.def.subresources.includes('status')) {
        if (current.status === undefined) delete next.status;
        else next.status = current.status;
      }
      if (res.def.kind === 'Namespace') {
        const kept = (current.spec as { finalizers?: string[] } | undefined)?.finalizers;
        const spec = { ...(next.spec as object) } as { finalizers?: string[] };
        if (kept === undefined) delete spec.finalizers;
        else spec.finalizers = kept;
        next.spec = spec;
      }
      if (cm.generation !== undefined && specOf(next) !== specOf(current))
        (next.metadata ?? {}).generation = cm.generation + 1;
    }
    const hook = subresource === undefined ? this.#hook(res) : undefined;
    hook?.prepareUpdate?.(next, current);
    const valid = this.#recordManager(
      res,
      current,
      this.#validate(res, next, current),
      ctx,
      subresource,
    );
    const pending = await hook?.beforeWrite(valid, current, ctx.dryRun);
    if (ctx.dryRun) return { ...valid };
    const vm = valid.metadata ?? {};
    try {
      if (vm.deletionTimestamp !== undefined && blockingFinalizers(valid).length === 0) {
        await this.#store.delete(key, { expectedModRevision: item.modRevision });
        await pending?.abort();
        await this.#hook(res)?.afterDelete(current);
        return valid;
      }
      const rev = await this.#store.update(key, encodeStored(toStorage(res, valid)), {
        expectedModRevision: item.modRevision,
      });
      await pending?.commit();
      return fromStorage(res, toStorage(res, valid), rev);
    } catch (err) {
      await pending?.abort();
      if (isSkiffError(err, 'Conflict')) throw apiError('Conflict', ref(res, name));
      if (isSkiffError(err, 'NotFound')) throw apiError('NotFound', ref(res, name));
      throw err;
    }
  }

  /**
   * delete removes an object, or marks it for deletion (deletionTimestamp) when finalizers or a
   * bound pod's grace period must run first. Returns the object and whether it is gone.
   */
  async delete(
    res: Resource,
    ns: string | undefined,
    name: string,
    opts: DeleteRequest,
    dryRun = false,
  ): Promise<{ object: KubeObject; gone: boolean }> {
    // A write that lands between our read and our write (a node agent posting the pod's status)
    // is not the caller's conflict: like Kubernetes, read again and retry. A failed precondition
    // the caller set is answered at once, from the fresh read.
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#deleteOnce(res, ns, name, opts, dryRun);
      if (outcome !== raced) return outcome;
      if (attempt === deleteAttempts) throw apiError('Conflict', ref(res, name));
    }
  }

  async #deleteOnce(
    res: Resource,
    ns: string | undefined,
    name: string,
    opts: DeleteRequest,
    dryRun: boolean,
  ): Promise<{ object: KubeObject; gone: boolean } | typeof raced> {
    const policy = propagationOf(opts);
    if (res.def.kind === 'Namespace' && protectedNamespaces.includes(name))
      throw new SkiffError(
        'Forbidden',
        `namespaces ${JSON.stringify(name)} is forbidden: this namespace may not be deleted`,
        { details: { name, kind: 'namespaces' } },
      );
    const key = storageKey(res, ns, name);
    const item = await this.#store.get(key);
    if (item === undefined) throw apiError('NotFound', ref(res, name));
    const object = fromStorage(res, decodeStored(item.value), item.modRevision);
    const meta = object.metadata ?? {};
    const pre = opts.preconditions;
    if (
      (pre?.uid !== undefined && pre.uid !== meta.uid) ||
      (pre?.resourceVersion !== undefined && pre.resourceVersion !== meta.resourceVersion)
    )
      throw apiError('Conflict', ref(res, name));
    const spec = object.spec as { nodeName?: string; terminationGracePeriodSeconds?: number };
    const grace =
      res.def.kind === 'Pod' && spec?.nodeName
        ? (opts.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30)
        : 0;
    const before = meta.finalizers ?? [];
    const finalizers = finalizersForDelete(before, policy);
    const changed = finalizers.join('\n') !== before.join('\n');
    const markedMeta: ObjectMeta = { ...meta, finalizers };
    if (finalizers.length === 0) delete markedMeta.finalizers;
    const marked: KubeObject = { ...object, metadata: markedMeta };
    const held = blockingFinalizers(marked).length > 0;
    if (meta.deletionTimestamp !== undefined) {
      // Already marked: it goes once nothing holds it and no grace is left to wait; otherwise
      // only a change of the garbage collector's finalizer is written.
      if (!held && grace === 0)
        return dryRun
          ? { object, gone: true }
          : this.#remove(res, key, name, marked, item.modRevision);
      if (!changed || dryRun) return { object, gone: false };
      const rev = await this.#writeOrRace(key, toStorage(res, marked), item.modRevision);
      if (rev === raced) return raced;
      return { object: fromStorage(res, toStorage(res, marked), rev), gone: false };
    }
    if (held || grace > 0) {
      if (dryRun) return { object: marked, gone: false };
      const mm = markedMeta;
      mm.deletionTimestamp = new Date(Date.now() + grace * 1000)
        .toISOString()
        .replace(/\.\d+Z$/, 'Z');
      mm.deletionGracePeriodSeconds = grace;
      if (res.def.kind === 'Namespace')
        marked.status = { ...(marked.status as object), phase: 'Terminating' };
      const rev = await this.#writeOrRace(key, toStorage(res, marked), item.modRevision);
      if (rev === raced) return raced;
      return { object: fromStorage(res, toStorage(res, marked), rev), gone: false };
    }
    if (dryRun) return { object, gone: true };
    return this.#remove(res, key, name, object, item.modRevision);
  }

  // writeOrRace writes an object read at modRevision; another write in between is `raced`.
  async #writeOrRace(
    key: string,
    stored: Parameters<typeof encodeStored>[0],
    modRevision: number,
  ): Promise<number | typeof raced> {
    try {
      return await this.#store.update(key, encodeStored(stored), {
        expectedModRevision: modRevision,
      });
    } catch (err) {
      if (isSkiffError(err, 'Conflict')) return raced;
      throw err;
    }
  }

  async #remove(
    res: Resource,
    key: string,
    name: string,
    object: KubeObject,
    modRevision: number,
  ): Promise<{ object: KubeObject; gone: boolean } | typeof raced> {
    try {
      await this.#store.delete(key, { expectedModRevision: modRevision });
    } catch (err) {
      if (isSkiffError(err, 'Conflict')) return raced;
      if (isSkiffError(err, 'NotFound')) throw apiError('NotFound', ref(res, name));
      throw err;
    }
    await this.#hook(res)?.afterDelete(object);
    return { object, gone: true };
  }
}
