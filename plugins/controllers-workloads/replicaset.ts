// The ReplicaSet controller: keep spec.replicas pods matching the selector, owned by the set.
import {
  api,
  type Controller,
  done,
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

/** ReplicaSetReconciler brings one ReplicaSet's pods and status in line with its spec. */
export class ReplicaSetReconciler {
  readonly #src: WorkloadSources;
  readonly #expect = new Expectations();

  constructor(src: WorkloadSources) {
    this.#src = src;
  }

  /** reconcile runs one pass for the ReplicaSet named by the key. */
  async reconcile(key: ObjectKey): Promise<ReconcileResult> {
    const src = this.#src;
    src.start();
    if (!src.replicaSets.hasSynced() || !src.pods.hasSynced()) return requeueAfter(100);
    const id = `${key.namespace}/${key.name}`;
    const rs = src.replicaSets.cache.get(id);
    if (!rs && (await src.lagging('ReplicaSet', key.namespace, key.name))) return requeueAfter(100);
    if (!rs || rs.metadata?.deletionTimestamp) {
      this.#expect.forget(id);
      return done;
    }
    const parsed = api.labelSelectorFromSpec(rs.spec?.selector);
    if (!parsed.ok) return terminal(`ReplicaSet ${id}: spec.selector: ${parsed.message}`);
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

  async #create(id: string, rs: api.ReplicaSet, count: number): Promise<void> {
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
            ownerReferences: [ownerRefOf('apps/v1', 'ReplicaSet', rs)],
          },
          spec: structuredClone(template.spec),
        } as api.Pod);
        made.push(pod.metadata?.name ?? '');
      }
    } finally {
      this.#expect.expect(id, made, [], src.now());
    }
  }

  async #adopt(podRef: ReturnType<WorkloadSources['ref']>, pod: api.Pod, rs: api.ReplicaSet) {
    try {
      await this.#src.client.patch(podRef, pod.metadata?.name ?? '', 'json', [
        { op: 'test', path: '/metadata/resourceVersion', value: pod.metadata?.resourceVersion },
        {
          op: 'add',
          path: '/metadata/ownerReferences',
          value: [
            ...(pod.metadata?.ownerReferences ?? []),
            ownerRefOf('apps/v1', 'ReplicaSet', rs),
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
  async #updateStatus(
    rs: api.ReplicaSet,
    owned: api.Pod[],
    now: number,
  ): Promise<number | undefined> {
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
        this.#src.ref('ReplicaSet', rs.metadata?.namespace ?? ''),
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
  };
}
