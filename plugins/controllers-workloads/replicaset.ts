// The ReplicaSet controller: keep spec.replicas pods matching the selector, owned by the set.
// The ReplicationController is the same controller with an equality-based selector.
import {
  api,
  type Controller,
  done,
  type Informer,
  isSkiffError,
  type ObjectKey,
  type ReconcileResult,
  requeueAfter,
  terminal,
} from '../../sdk/index.ts';
import { Expectations } from './expectations.ts';
import {
  availableInMs,
  controllerOf,
  deletionOrder,
  isActive,
  isPodReady,
  ownerRefOf,
} from './pods.ts';
import type { WorkloadSources } from './sources.ts';

// How many pods one pass creates or deletes at most; the rest follow on the next pass.
const burst = 100;

/** Replicated is what a ReplicaSet and a ReplicationController share. */
export type Replicated = api.ReplicaSet | api.ReplicationController;

/** ReplicatedKind says how one replicated kind differs: its name, its cache, its selector. */
export interface ReplicatedKind {
  readonly apiVersion: 'apps/v1' | 'v1';
  readonly kind: 'ReplicaSet' | 'ReplicationController';
  readonly cache: (src: WorkloadSources) => Informer<Replicated>;
  readonly selector: (o: Replicated) => ReturnType<typeof api.labelSelectorFromSpec>;
}

/** replicaSetKind is apps/v1 ReplicaSet: a set-based selector (matchLabels, matchExpressions). */
export const replicaSetKind: ReplicatedKind = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  cache: (src) => src.replicaSets as Informer<Replicated>,
  selector: (o) => api.labelSelectorFromSpec((o as api.ReplicaSet).spec?.selector),
};

/**
 * replicationControllerKind is v1 ReplicationController: its selector is a label map (the
 * template's labels by default); an empty one would select every pod, so it selects none.
 */
export const replicationControllerKind: ReplicatedKind = {
  apiVersion: 'v1',
  kind: 'ReplicationController',
  cache: (src) => src.replicationControllers as Informer<Replicated>,
  selector: (o) => {
    const labels = (o as api.ReplicationController).spec?.selector ?? {};
    if (Object.keys(labels).length === 0)
      return { ok: false, message: 'an empty selector would select every pod' };
    return api.labelSelectorFromSpec({ matchLabels: labels });
  },
};

/** ReplicaSetReconciler brings one ReplicaSet's (or ReplicationController's) pods and status in line with its spec. */
export class ReplicaSetReconciler {
  readonly #src: WorkloadSources;
  readonly #kind: ReplicatedKind;
  readonly #expect = new Expectations();

  constructor(src: WorkloadSources, kind: ReplicatedKind = replicaSetKind) {
    this.#src = src;
    this.#kind = kind;
  }

  /** reconcile runs one pass for the ReplicaSet named by the key. */
  async reconcile(key: ObjectKey): Promise<ReconcileResult> {
    const src = this.#src;
    src.start();
    const kind = this.#kind;
    const cache = kind.cache(src);
    if (!cache.hasSynced() || !src.pods.hasSynced()) return requeueAfter(100);
    const id = `${key.namespace}/${key.name}`;
    const rs = cache.cache.get(id);
    if (!rs && (await src.lagging(kind.kind, key.namespace, key.name))) return requeueAfter(100);
    if (!rs || rs.metadata?.deletionTimestamp) {
      this.#expect.forget(id);
      return done;
    }
    const parsed = kind.selector(rs);
    if (!parsed.ok) return terminal(`${kind.kind} ${id}: spec.selector: ${parsed.message}`);
    const selector = parsed.selector;
    const now = src.now();
    const podRef = src.ref('Pod', key.namespace);
    const inNamespace = src.pods.cache
      .list()
      .filter((p) => p.metadata?.namespace === key.namespace);
    const settled = this.#expect.satisfied(
      id,
      (name) => src.pods.cache.get(`${key.namespace}/${name}`) !== undefined,
      (uid) => !inNamespace.some((p) => p.metadata?.uid === uid && isActive(p)),
      now,
    );

    const uid = rs.metadata?.uid;
    const owned: api.Pod[] = [];
    for (const pod of inNamespace) {
      if (!isActive(pod)) continue;
      const ctl = controllerOf(pod);
      const matches = api.matchesLabels(selector, pod.metadata?.labels);
      if (ctl?.uid === uid) {
        if (matches) owned.push(pod);
        else await this.#release(podRef, pod, uid ?? '');
      } else if (!ctl && matches) {
        if (await this.#adopt(podRef, pod, rs)) owned.push(pod);
      }
    }

    // Until the cache shows the last pass's writes, counting pods would count wrongly.
    if (!settled) return requeueAfter(200);
    const want = rs.spec?.replicas ?? 1;
    const diff = owned.length - want;
    if (diff < 0) await this.#create(id, rs, Math.min(-diff, burst));
    else if (diff > 0) {
      const victims = [...owned].sort(deletionOrder).slice(0, Math.min(diff, burst));
      this.#expect.expect(
        id,
        [],
        victims.map((p) => p.metadata?.uid ?? ''),
        now,
      );
      for (const pod of victims) owned.splice(owned.indexOf(pod), 1);
      for (const pod of victims) {
        try {
          await src.client.delete(podRef, pod.metadata?.name ?? '');
        } catch (err) {
          if (!(isSkiffError(err) && err.code === 'NotFound')) throw err;
        }
      }
    }

    const wait = await this.#updateStatus(rs, owned, now);
    return wait === undefined ? done : requeueAfter(wait);
  }

  async #create(id: string, rs: Replicated, count: number): Promise<void> {
    const src = this.#src;
    const ns = rs.metadata?.namespace ?? 'default';
    const template = rs.spec?.template ?? {};
    const made: string[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const pod = await src.client.create<api.Pod>(src.ref('Pod', ns), {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            generateName: `${rs.metadata?.name}-`,
            namespace: ns,
            labels: { ...template.metadata?.labels },
            annotations: { ...template.metadata?.annotations },
            ownerReferences: [ownerRefOf(this.#kind.apiVersion, this.#kind.kind, rs)],
          },
          spec: structuredClone(template.spec),
        } as api.Pod);
        made.push(pod.metadata?.name ?? '');
      }
    } finally {
      this.#expect.expect(id, made, [], src.now());
    }
  }

  async #adopt(podRef: ReturnType<WorkloadSources['ref']>, pod: api.Pod, rs: Replicated) {
    try {
      await this.#src.client.patch(podRef, pod.metadata?.name ?? '', 'json', [
        { op: 'test', path: '/metadata/resourceVersion', value: pod.metadata?.resourceVersion },
        {
          op: 'add',
          path: '/metadata/ownerReferences',
          value: [
            ...(pod.metadata?.ownerReferences ?? []),
            ownerRefOf(this.#kind.apiVersion, this.#kind.kind, rs),
          ],
        },
      ]);
      return true;
    } catch (err) {
      // Changed or gone meanwhile: the pod's next event brings the set back here.
      if (isSkiffError(err)) return false;
      throw err;
    }
  }

  async #release(podRef: ReturnType<WorkloadSources['ref']>, pod: api.Pod, uid: string) {
    try {
      await this.#src.client.patch(podRef, pod.metadata?.name ?? '', 'json', [
        { op: 'test', path: '/metadata/resourceVersion', value: pod.metadata?.resourceVersion },
        {
          op: 'replace',
          path: '/metadata/ownerReferences',
          value: (pod.metadata?.ownerReferences ?? []).filter((r) => r.uid !== uid),
        },
      ]);
    } catch (err) {
      if (!isSkiffError(err)) throw err;
    }
  }

  /** #updateStatus writes the counts when they differ; returns ms until a pod becomes available. */
  async #updateStatus(rs: Replicated, owned: api.Pod[], now: number): Promise<number | undefined> {
    const minReady = rs.spec?.minReadySeconds ?? 0;
    const templateLabels = api.selectorFromLabels(rs.spec?.template?.metadata?.labels ?? {});
    let available = 0;
    let wait: number | undefined;
    for (const pod of owned) {
      const ms = availableInMs(pod, minReady, now);
      if (ms === 0) available++;
      else if (ms !== undefined) wait = Math.min(wait ?? ms, ms);
    }
    const status: NonNullable<api.ReplicaSet['status']> = {
      ...rs.status,
      replicas: owned.length,
      fullyLabeledReplicas: owned.filter((p) =>
        api.matchesLabels(templateLabels, p.metadata?.labels),
      ).length,
      readyReplicas: owned.filter(isPodReady).length,
      availableReplicas: available,
      observedGeneration: rs.metadata?.generation ?? 0,
    };
    const before = rs.status ?? { replicas: 0 };
    const changed = (
      [
        'replicas',
        'fullyLabeledReplicas',
        'readyReplicas',
        'availableReplicas',
        'observedGeneration',
      ] as const
    ).some((k) => (before[k] ?? 0) !== (status[k] ?? 0));
    if (changed) {
      await this.#src.client.updateStatus(
        this.#src.ref(this.#kind.kind, rs.metadata?.namespace ?? ''),
        {
          ...rs,
          status,
        },
      );
    }
    return wait === undefined ? undefined : wait + 10;
  }
}

/** replicaSetController is the Controller value of the ReplicaSet controller. */
export function replicaSetController(src: WorkloadSources): Controller {
  return {
    name: 'replicaset',
    owns: { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
    watches: [{ apiVersion: 'v1', kind: 'Pod' }],
    concurrency: 2,
    reconciler: new ReplicaSetReconciler(src),
    informers: src.factory,
  };
}

/** replicationControllerController is the Controller value of the ReplicationController controller. */
export function replicationControllerController(src: WorkloadSources): Controller {
  return {
    name: 'replicationcontroller',
    owns: { apiVersion: 'v1', kind: 'ReplicationController' },
    watches: [{ apiVersion: 'v1', kind: 'Pod' }],
    concurrency: 2,
    reconciler: new ReplicaSetReconciler(src, replicationControllerKind),
    informers: src.factory,
  };
}
