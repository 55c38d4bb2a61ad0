// The Deployment controller: one ReplicaSet per pod template, rolled out by RollingUpdate or
// Recreate, with the status `kubectl rollout status` reads.
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
import {
  deploymentStatus,
  progressDeadlineInMs,
  progressDeadlineOf,
  progressingCondition,
} from './deployment-status.ts';
import { controllerOf, ownerRefOf } from './pods.ts';
import {
  revisionAnnotation,
  rollingLimits,
  templateHash,
  templateHashLabel,
} from './rollout-math.ts';
import type { WorkloadSources } from './sources.ts';

type RS = api.ReplicaSet;

/** revisionOf reads a ReplicaSet's revision annotation (0 when absent). */
export function revisionOf(rs: RS): number {
  return Number(rs.metadata?.annotations?.[revisionAnnotation] ?? 0) || 0;
}

const specReplicas = (rs: RS) => rs.spec?.replicas ?? 0;
const podCount = (rs: RS) => rs.status?.replicas ?? 0;
const availableOf = (rs: RS) => rs.status?.availableReplicas ?? 0;

/** DeploymentReconciler brings one Deployment's ReplicaSets and status in line with its spec. */
export class DeploymentReconciler {
  readonly #src: WorkloadSources;

  constructor(src: WorkloadSources) {
    this.#src = src;
  }

  /** reconcile runs one pass for the Deployment named by the key. */
  async reconcile(key: ObjectKey): Promise<ReconcileResult> {
    const src = this.#src;
    src.start();
    if (!src.deployments.hasSynced() || !src.replicaSets.hasSynced()) return requeueAfter(100);
    const id = `${key.namespace}/${key.name}`;
    const d = src.deployments.cache.get(id);
    if (!d && (await src.lagging('Deployment', key.namespace, key.name))) return requeueAfter(100);
    if (!d || d.metadata?.deletionTimestamp) return done;
    const parsed = api.labelSelectorFromSpec(d.spec?.selector);
    if (!parsed.ok) return terminal(`Deployment ${id}: spec.selector: ${parsed.message}`);
    const want = d.spec?.replicas ?? 1;
    const strategy = d.spec?.strategy?.type ?? 'RollingUpdate';
    const limits =
      strategy === 'Recreate'
        ? { surge: 0, unavailable: want }
        : rollingLimits(
            d.spec?.strategy?.rollingUpdate?.maxSurge,
            d.spec?.strategy?.rollingUpdate?.maxUnavailable,
            want,
          );
    if (typeof limits === 'string') return terminal(`Deployment ${id}: ${limits}`);

    const owned = src.replicaSets.cache
      .list()
      .filter(
        (rs) =>
          rs.metadata?.namespace === key.namespace &&
          controllerOf(rs)?.uid === d.metadata?.uid &&
          !rs.metadata?.deletionTimestamp,
      );
    const hash = templateHash(d.spec?.template, d.status?.collisionCount ?? 0);
    const newRS = owned.find((rs) => rs.metadata?.labels?.[templateHashLabel] === hash);
    const olds = owned.filter((rs) => rs !== newRS);
    // The sets' statuses must describe their current specs before counting on them.
    const stale = owned.some(
      (rs) => (rs.status?.observedGeneration ?? 0) < (rs.metadata?.generation ?? 0),
    );

    if (!d.spec?.paused && !stale) {
      const maxOld = Math.max(0, ...olds.map(revisionOf));
      if (!newRS) {
        const initial =
          strategy === 'Recreate' ? 0 : this.#newReplicas(want, limits.surge, owned, 0);
        const made = await this.#createNew(d, hash, initial, maxOld + 1);
        if (made === 'collision') return requeueAfter(0);
        await this.#markCreated(d, `${d.metadata?.name}-${hash}`);
        return done;
      }
      if (revisionOf(newRS) <= maxOld) {
        await this.#patchRS(newRS, {
          metadata: { annotations: { [revisionAnnotation]: String(maxOld + 1) } },
        });
        return done;
      }
      if (strategy === 'Recreate') await this.#recreate(want, newRS, olds);
      else await this.#rolling(want, limits, newRS, olds);
    }
    if (!stale) await this.#cleanup(d, olds);
    const written = await this.#writeStatus(d, newRS, owned, limits.unavailable);
    // Come back when the rollout would run out of time, in case nothing else happens first.
    const wait = progressDeadlineInMs(written, new Date(this.#src.now()));
    return wait === undefined ? done : requeueAfter(wait);
  }

  // A new rollout restarts the progress clock: Progressing NewReplicaSetCreated, as Kubernetes
  // records it. A conflict leaves it to the next pass, which counts progress anyway.
  async #markCreated(d: api.Deployment, rsName: string) {
    if (progressDeadlineOf(d) === undefined) return;
    const ref = this.#src.ref('Deployment', d.metadata?.namespace ?? '');
    try {
      const fresh = await this.#src.client.get<api.Deployment>(ref, d.metadata?.name ?? '');
      const conditions = progressingCondition(
        fresh.status?.conditions ?? [],
        'NewReplicaSetCreated',
        `Created new replica set "${rsName}"`,
        new Date(this.#src.now()),
      );
      await this.#src.client.updateStatus(ref, {
        ...fresh,
        status: { ...fresh.status, conditions },
      });
    } catch (err) {
      if (!isSkiffError(err) || !['Conflict', 'NotFound'].includes(err.code)) throw err;
    }
  }

  #newReplicas(want: number, surge: number, all: RS[], current: number): number {
    const pods = all.reduce((n, rs) => n + Math.max(specReplicas(rs), podCount(rs)), 0);
    const room = want + surge - pods;
    if (room <= 0) return current;
    return current + Math.min(room, want - current);
  }

  async #rolling(
    want: number,
    limits: { surge: number; unavailable: number },
    newRS: RS,
    olds: RS[],
  ) {
    const current = specReplicas(newRS);
    if (current > want) {
      await this.#scale(newRS, want);
      return;
    }
    const next = this.#newReplicas(want, limits.surge, [newRS, ...olds], current);
    if (next !== current) {
      await this.#scale(newRS, next);
      return;
    }
    const all = [newRS, ...olds];
    const minAvailable = want - limits.unavailable;
    const newUnavailable = Math.max(0, specReplicas(newRS) - availableOf(newRS));
    const allPods = all.reduce((n, rs) => n + podCount(rs), 0);
    let budget = allPods - minAvailable - newUnavailable;
    if (budget <= 0) return;
    // Unhealthy old pods go first: removing them costs no availability.
    const ordered = [...olds].sort((a, b) => revisionOf(a) - revisionOf(b));
    const target = new Map(ordered.map((rs) => [rs, specReplicas(rs)]));
    for (const rs of ordered) {
      if (budget <= 0) break;
      const unhealthy = Math.max(0, specReplicas(rs) - availableOf(rs));
      const cut = Math.min(unhealthy, budget, target.get(rs) ?? 0);
      target.set(rs, (target.get(rs) ?? 0) - cut);
      budget -= cut;
    }
    let spare = all.reduce((n, rs) => n + availableOf(rs), 0) - minAvailable;
    for (const rs of ordered) {
      if (spare <= 0) break;
      const cut = Math.min(spare, target.get(rs) ?? 0);
      target.set(rs, (target.get(rs) ?? 0) - cut);
      spare -= cut;
    }
    for (const [rs, n] of target) if (n !== specReplicas(rs)) await this.#scale(rs, n);
  }

  async #recreate(want: number, newRS: RS, olds: RS[]) {
    const running = olds.filter((rs) => specReplicas(rs) > 0);
    if (running.length > 0) {
      for (const rs of running) await this.#scale(rs, 0);
      return;
    }
    if (olds.some((rs) => podCount(rs) > 0)) return;
    if (specReplicas(newRS) !== want) await this.#scale(newRS, want);
  }

  async #createNew(d: api.Deployment, hash: string, replicas: number, revision: number) {
    const ns = d.metadata?.namespace ?? 'default';
    const template = structuredClone(d.spec?.template ?? {});
    template.metadata = {
      ...template.metadata,
      labels: { ...template.metadata?.labels, [templateHashLabel]: hash },
    };
    const selector = structuredClone(d.spec?.selector ?? {});
    selector.matchLabels = { ...selector.matchLabels, [templateHashLabel]: hash };
    try {
      await this.#src.client.create<RS>(this.#src.ref('ReplicaSet', ns), {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${d.metadata?.name}-${hash}`,
          namespace: ns,
          labels: template.metadata.labels,
          annotations: { [revisionAnnotation]: String(revision) },
          ownerReferences: [ownerRefOf('apps/v1', 'Deployment', d)],
        },
        spec: { replicas, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
      });
    } catch (err) {
      if (!(isSkiffError(err) && err.code === 'AlreadyExists')) throw err;
      const other = this.#src.replicaSets.cache.get(`${ns}/${d.metadata?.name}-${hash}`);
      // A set of that name that is not ours: hash again with a higher collision count.
      if (other && controllerOf(other)?.uid !== d.metadata?.uid) {
        await this.#src.client.updateStatus(this.#src.ref('Deployment', ns), {
          ...d,
          status: { ...d.status, collisionCount: (d.status?.collisionCount ?? 0) + 1 },
        });
        return 'collision';
      }
    }
    if (d.metadata?.annotations?.[revisionAnnotation] !== String(revision)) {
      await this.#src.client.patch(
        this.#src.ref('Deployment', ns),
        d.metadata?.name ?? '',
        'merge',
        {
          metadata: { annotations: { [revisionAnnotation]: String(revision) } },
        },
      );
    }
    return 'created';
  }

  async #scale(rs: RS, replicas: number) {
    await this.#patchRS(rs, { spec: { replicas } });
  }

  async #patchRS(rs: RS, patch: unknown) {
    try {
      await this.#src.client.patch(
        this.#src.ref('ReplicaSet', rs.metadata?.namespace ?? ''),
        rs.metadata?.name ?? '',
        'merge',
        patch,
      );
    } catch (err) {
      if (!(isSkiffError(err) && err.code === 'NotFound')) throw err;
    }
  }

  /** #cleanup deletes the oldest drained ReplicaSets beyond revisionHistoryLimit. */
  async #cleanup(d: api.Deployment, olds: RS[]) {
    const limit = d.spec?.revisionHistoryLimit ?? 10;
    const drained = olds
      .filter((rs) => specReplicas(rs) === 0 && podCount(rs) === 0)
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of drained.slice(0, Math.max(0, drained.length - limit))) {
      try {
        await this.#src.client.delete(
          this.#src.ref('ReplicaSet', rs.metadata?.namespace ?? ''),
          rs.metadata?.name ?? '',
        );
      } catch (err) {
        if (!(isSkiffError(err) && err.code === 'NotFound')) throw err;
      }
    }
  }

  async #writeStatus(
    d: api.Deployment,
    newRS: RS | undefined,
    owned: RS[],
    maxUnavailable: number,
  ) {
    const status = deploymentStatus(d, newRS, owned, maxUnavailable, new Date(this.#src.now()));
    if (status === undefined) return d;
    await this.#src.client.updateStatus(this.#src.ref('Deployment', d.metadata?.namespace ?? ''), {
      ...d,
      status,
    });
    return { ...d, status };
  }
}

/** deploymentController is the Controller value of the Deployment controller. */
export function deploymentController(src: WorkloadSources): Controller {
  return {
    name: 'deployment',
    owns: { apiVersion: 'apps/v1', kind: 'Deployment' },
    watches: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet' }],
    concurrency: 2,
    reconciler: new DeploymentReconciler(src),
    informers: src.factory,
  };
}
