// The namespace controller: a terminating namespace is emptied kind by kind, then finalized.
import {
  type api,
  type Controller,
  discoverResources,
  done,
  isSkiffError,
  type KubeClient,
  type ObjectKey,
  type ReconcileResult,
  type Reconciler,
  refOfResource,
  requeueAfter,
  type ServerResource,
} from '../../sdk/index.ts';
import { ResourceIndex } from './resources.ts';

/** namespaceFinalizer is the spec finalizer this controller owns. */
export const namespaceFinalizer = 'kubernetes';

/** NamespaceClient is what the namespace controller asks of the API server. */
export type NamespaceClient = Pick<
  KubeClient,
  'get' | 'list' | 'delete' | 'update' | 'updateStatus' | 'getPath'
>;

type Condition = NonNullable<NonNullable<api.Namespace['status']>['conditions']>[number];

const namespaces = { group: '', version: 'v1', plural: 'namespaces' };
// Content with grace periods takes a while to go; look again at this pace meanwhile.
const waitMs = 1_000;

/** groupResource names a resource as Kubernetes' messages do: `pods`, `deployments.apps`. */
export const groupResource = (r: Pick<ServerResource, 'group' | 'plural'>) =>
  r.group === '' ? r.plural : `${r.plural}.${r.group}`;

/** ContentReport is what one pass over a terminating namespace found. */
export interface ContentReport {
  discoveryFailure?: string;
  /** failures are the resources whose list or delete failed, with why. */
  failures: string[];
  /** remaining counts the objects still there per group resource. */
  remaining: Map<string, number>;
  /** finalizers counts the finalizers the remaining objects carry. */
  finalizers: Map<string, number>;
}

const counts = (m: Map<string, number>, what: string) =>
  [...m.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${what} ${n} resource instances`)
    .join(', ');

/** deletionConditions are the five conditions Kubernetes keeps on a terminating namespace. */
export function deletionConditions(report: ContentReport): Omit<Condition, 'lastTransitionTime'>[] {
  const cond = (
    type: string,
    bad: boolean,
    reason: [string, string],
    message: [string, string],
  ) => ({
    type,
    status: bad ? 'True' : 'False',
    reason: bad ? reason[1] : reason[0],
    message: bad ? message[1] : message[0],
  });
  return [
    cond(
      'NamespaceDeletionDiscoveryFailure',
      report.discoveryFailure !== undefined,
      ['ResourcesDiscovered', 'DiscoveryFailed'],
      ['All resources successfully discovered', `Discovery failed: ${report.discoveryFailure}`],
    ),
    cond(
      'NamespaceDeletionGroupVersionParsingFailure',
      false,
      ['ParsedGroupVersions', 'GroupVersionParsingFailed'],
      ['All legacy kube types successfully parsed', ''],
    ),
    cond(
      'NamespaceDeletionContentFailure',
      report.failures.length > 0,
      ['ContentDeleted', 'ContentDeletionFailed'],
      [
        'All content successfully deleted, may be waiting on finalization',
        `Failed to delete all resource types, ${report.failures.length} remaining: ${report.failures.join(', ')}`,
      ],
    ),
    cond(
      'NamespaceContentRemaining',
      report.remaining.size > 0,
      ['ContentRemoved', 'SomeResourcesRemain'],
      [
        'All content successfully removed',
        `Some resources are remaining: ${counts(report.remaining, 'has')}`,
      ],
    ),
    cond(
      'NamespaceFinalizersRemaining',
      report.finalizers.size > 0,
      ['ContentHasNoFinalizers', 'SomeFinalizersRemain'],
      [
        'All content-preserving finalizers finished',
        `Some content in the namespace has finalizers remaining: ${counts(report.finalizers, 'in')}`,
      ],
    ),
  ];
}

/** NamespaceReconciler empties a terminating namespace and then removes its finalizer. */
export class NamespaceReconciler implements Reconciler {
  readonly #client: NamespaceClient;
  readonly #now: () => Date;

  constructor(client: NamespaceClient, now: () => Date = () => new Date()) {
    this.#client = client;
    this.#now = now;
  }

  /** reconcile runs one pass over the namespace the key names. */
  async reconcile(key: ObjectKey): Promise<ReconcileResult> {
    let ns: api.Namespace;
    try {
      ns = await this.#client.get<api.Namespace>(namespaces, key.name);
    } catch (err) {
      if (isSkiffError(err, 'NotFound')) return done;
      throw err;
    }
    if (ns.metadata?.deletionTimestamp === undefined) return done;
    if (!(ns.spec?.finalizers ?? []).includes(namespaceFinalizer)) return done;
    const report = await this.#empty(key.name);
    ns = await this.#writeConditions(ns, report);
    if (report.discoveryFailure !== undefined || report.failures.length > 0)
      throw new Error(
        `namespace ${key.name}: ${report.discoveryFailure ?? report.failures.join(', ')}`,
      );
    if (report.remaining.size > 0) return requeueAfter(waitMs);
    await this.#client.update<api.Namespace>(
      namespaces,
      {
        ...ns,
        spec: {
          ...ns.spec,
          finalizers: (ns.spec?.finalizers ?? []).filter((f) => f !== namespaceFinalizer),
        },
      },
      { subresource: 'finalize' },
    );
    return done;
  }

  // Deletes what is not being deleted yet, then counts what is still there.
  async #empty(namespace: string): Promise<ContentReport> {
    const report: ContentReport = { failures: [], remaining: new Map(), finalizers: new Map() };
    let resources: ServerResource[];
    try {
      resources = new ResourceIndex(await discoverResources(this.#client)).namespacedContent();
    } catch (err) {
      report.discoveryFailure = err instanceof Error ? err.message : String(err);
      return report;
    }
    for (const res of resources) {
      const ref = refOfResource(res, namespace);
      try {
        let items = (await this.#client.list(ref)).items;
        let deleted = false;
        for (const item of items) {
          if (item.metadata?.deletionTimestamp !== undefined) continue;
          try {
            await this.#client.delete(ref, item.metadata?.name ?? '', {
              propagationPolicy: 'Background',
            });
            deleted = true;
          } catch (err) {
            if (!isSkiffError(err, 'NotFound')) throw err;
          }
        }
        if (deleted) items = (await this.#client.list(ref)).items;
        if (items.length === 0) continue;
        report.remaining.set(groupResource(res), items.length);
        for (const item of items)
          for (const f of item.metadata?.finalizers ?? [])
            report.finalizers.set(f, (report.finalizers.get(f) ?? 0) + 1);
      } catch (err) {
        report.failures.push(
          `${groupResource(res)}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    return report;
  }

  async #writeConditions(ns: api.Namespace, report: ContentReport): Promise<api.Namespace> {
    const before = ns.status?.conditions ?? [];
    const stamp = this.#now()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z');
    let changed = false;
    const conditions = deletionConditions(report).map((c): Condition => {
      const old = before.find((b) => b.type === c.type);
      if (old?.status === c.status && old.reason === c.reason && old.message === c.message)
        return old;
      changed = true;
      return {
        ...c,
        lastTransitionTime: old?.status === c.status ? (old.lastTransitionTime ?? stamp) : stamp,
      };
    });
    if (!changed) return ns;
    const others = before.filter((b) => !conditions.some((c) => c.type === b.type));
    return this.#client.updateStatus<api.Namespace>(namespaces, {
      ...ns,
      status: { ...ns.status, conditions: [...others, ...conditions] },
    });
  }
}

/** namespaceController is the Controller value of the namespace controller. */
export function namespaceController(client: NamespaceClient): Controller {
  return {
    name: 'namespace',
    owns: { apiVersion: 'v1', kind: 'Namespace' },
    concurrency: 2,
    reconciler: new NamespaceReconciler(client),
  };
}
