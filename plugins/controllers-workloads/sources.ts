// What the workload reconcilers read and write through: one client and shared informers.
import {
  api,
  type Informer,
  type InformerFactory,
  isSkiffError,
  type KubeClient,
  type ResourceRef,
  resourceOf,
} from '../../sdk/index.ts';

/** WorkloadKind is a kind the workload controllers read or write. */
export type WorkloadKind = 'Pod' | 'ReplicaSet' | 'ReplicationController' | 'Deployment';

/**
 * WorkloadSources are the client and the shared caches of pods, ReplicaSets,
 * ReplicationControllers and Deployments.
 */
export interface WorkloadSources {
  readonly client: Pick<KubeClient, 'create' | 'delete' | 'get' | 'patch' | 'updateStatus'>;
  readonly pods: Informer<api.Pod>;
  readonly replicaSets: Informer<api.ReplicaSet>;
  readonly replicationControllers: Informer<api.ReplicationController>;
  readonly deployments: Informer<api.Deployment>;
  /** factory holds those informers; the controllers' keys must come from it too. */
  readonly factory: InformerFactory;
  /** ref names the collection of a kind in a namespace. */
  readonly ref: (kind: WorkloadKind, namespace: string) => ResourceRef;
  readonly now: () => number;
  /** start starts the informers (again does nothing), for runners that did not. */
  readonly start: () => void;
  /**
   * lagging tells whether an object missing from the cache still exists on the server: a
   * runner whose own informer fed the queue may be ahead of these caches.
   */
  readonly lagging: (
    kind: Exclude<WorkloadKind, 'Pod'>,
    namespace: string,
    name: string,
  ) => Promise<boolean>;
}

const versions = {
  Pod: 'v1',
  ReplicaSet: 'apps/v1',
  ReplicationController: 'v1',
  Deployment: 'apps/v1',
} as const;

/** workloadSources makes the informers in the factory that startController shares. */
export function workloadSources(
  client: WorkloadSources['client'],
  factory: InformerFactory,
  now: () => number = Date.now,
): WorkloadSources {
  const kinds = api.builtinKindRegistry();
  const all = (kind: keyof typeof versions) =>
    resourceOf(kinds, { apiVersion: versions[kind], kind });
  return {
    client,
    pods: factory.informerFor<api.Pod>(all('Pod')),
    replicaSets: factory.informerFor<api.ReplicaSet>(all('ReplicaSet')),
    replicationControllers: factory.informerFor<api.ReplicationController>(
      all('ReplicationController'),
    ),
    deployments: factory.informerFor<api.Deployment>(all('Deployment')),
    factory,
    ref: (kind, namespace) => resourceOf(kinds, { apiVersion: versions[kind], kind }, namespace),
    now,
    start: () => factory.start(),
    async lagging(kind, namespace, name) {
      try {
        await client.get(resourceOf(kinds, { apiVersion: versions[kind], kind }, namespace), name);
        return true;
      } catch (err) {
        if (isSkiffError(err) && err.code === 'NotFound') return false;
        throw err;
      }
    },
  };
}
