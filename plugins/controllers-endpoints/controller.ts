// The Endpoints and EndpointSlice controller: one queue of Service keys, fed by Services,
// by the pods they select and by the objects it writes.
import { isDeepStrictEqual } from 'node:util';
import {
  api,
  done,
  type Informer,
  InformerFactory,
  isSkiffError,
  type KubeClient,
  keyOf,
  type Logger,
  type ObjectKey,
  type ReconcileResult,
  type RunningController,
  requeueAfter,
  resourceOf,
  runController,
  WorkQueue,
} from '../../sdk/index.ts';
import {
  desiredSlices,
  endpointsManagedBy,
  endpointsManagedByLabel,
  endpointsSubsets,
  managedBy,
  managedByLabel,
  podEndpoints,
  serviceNameLabel,
} from './desired.ts';

type Client = Pick<KubeClient, 'list' | 'watch' | 'create' | 'update' | 'delete' | 'get'>;

const kinds = api.builtinKindRegistry();
const ref = (apiVersion: string, kind: string, namespace?: string) =>
  resourceOf(kinds, { apiVersion, kind }, namespace);

/** EndpointsSources are the informers the controller reads. */
export interface EndpointsSources {
  readonly services: Informer<api.Service>;
  readonly pods: Informer<api.Pod>;
  readonly endpoints: Informer<api.Endpoints>;
  readonly slices: Informer<api.EndpointSlice>;
}

/** endpointsSources makes the informers in a factory (pods indexed by namespace already). */
export function endpointsSources(factory: InformerFactory): EndpointsSources {
  return {
    services: factory.informerFor<api.Service>(ref('v1', 'Service')),
    pods: factory.informerFor<api.Pod>(ref('v1', 'Pod')),
    endpoints: factory.informerFor<api.Endpoints>(ref('v1', 'Endpoints')),
    slices: factory.informerFor<api.EndpointSlice>(ref('discovery.k8s.io/v1', 'EndpointSlice')),
  };
}

const selects = (svc: api.Service, pod: api.Pod) => {
  const selector = svc.spec?.selector;
  if (selector === undefined || Object.keys(selector).length === 0) return false;
  const labels = pod.metadata?.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
};

const managed = (svc: api.Service | undefined) =>
  svc !== undefined &&
  svc.spec?.type !== 'ExternalName' &&
  Object.keys(svc.spec?.selector ?? {}).length > 0;

/** EndpointsReconciler writes one Service's Endpoints and EndpointSlices. */
export class EndpointsReconciler {
  readonly #client: Client;
  readonly #src: EndpointsSources;

  constructor(client: Client, src: EndpointsSources) {
    this.#client = client;
    this.#src = src;
  }

  /** reconcile brings the Endpoints and slices of the Service named by the key in line. */
  async reconcile(key: ObjectKey): Promise<ReconcileResult> {
    const src = this.#src;
    if (![src.services, src.pods, src.endpoints, src.slices].every((i) => i.hasSynced()))
      return requeueAfter(100);
    const id = `${key.namespace}/${key.name}`;
    const svc = src.services.cache.get(id);
    const current = src.endpoints.cache.get(id);
    const slices = src.slices.cache
      .list()
      .filter(
        (s) =>
          s.metadata?.namespace === key.namespace &&
          s.metadata?.labels?.[serviceNameLabel] === key.name &&
          s.metadata?.labels?.[managedByLabel] === managedBy,
      );
    if (svc === undefined) {
      // A Service without a selector keeps the Endpoints its user wrote; a deleted one loses
      // what this controller made (its slices would go with it through their owner anyway).
      if (
        current !== undefined &&
        current.metadata?.labels?.[endpointsManagedByLabel] === endpointsManagedBy
      )
        await this.#gone(ref('v1', 'Endpoints', key.namespace), key.name);
      for (const s of slices)
        await this.#gone(
          ref('discovery.k8s.io/v1', 'EndpointSlice', key.namespace),
          s.metadata?.name ?? '',
        );
      return done;
    }
    if (!managed(svc)) return done;
    const pods = src.pods.cache
      .list()
      .filter((p) => p.metadata?.namespace === key.namespace && selects(svc, p));
    const members = podEndpoints(svc, pods);
    await this.#writeEndpoints(svc, current, members);
    await this.#writeSlices(svc, slices, members);
    return done;
  }

  async #gone(where: ReturnType<typeof ref>, name: string): Promise<void> {
    try {
      await this.#client.delete(where, name);
    } catch (err) {
      if (!isSkiffError(err, 'NotFound')) throw err;
    }
  }

  async #writeEndpoints(
    svc: api.Service,
    current: api.Endpoints | undefined,
    members: ReturnType<typeof podEndpoints>,
  ): Promise<void> {
    const ns = svc.metadata?.namespace ?? '';
    const labels = {
      ...(svc.metadata?.labels ?? {}),
      [endpointsManagedByLabel]: endpointsManagedBy,
    };
    const subsets = endpointsSubsets(members) ?? [];
    const desired: api.Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: svc.metadata?.name ?? '', namespace: ns, labels },
      ...(subsets.length > 0 ? { subsets } : {}),
    };
    const where = ref('v1', 'Endpoints', ns);
    if (current === undefined) {
      await this.#client.create(where, desired);
      return;
    }
    if (
      isDeepStrictEqual(current.subsets ?? [], subsets) &&
      isDeepStrictEqual(current.metadata?.labels ?? {}, labels)
    )
      return;
    await this.#client.update(where, {
      ...desired,
      metadata: { ...current.metadata, labels },
    } as api.Endpoints);
  }

  async #writeSlices(
    svc: api.Service,
    existing: api.EndpointSlice[],
    members: ReturnType<typeof podEndpoints>,
  ): Promise<void> {
    const ns = svc.metadata?.namespace ?? '';
    const where = ref('discovery.k8s.io/v1', 'EndpointSlice', ns);
    const labels = {
      ...(svc.metadata?.labels ?? {}),
      [serviceNameLabel]: svc.metadata?.name ?? '',
      [managedByLabel]: managedBy,
    };
    const owner = {
      apiVersion: 'v1',
      kind: 'Service',
      name: svc.metadata?.name ?? '',
      uid: svc.metadata?.uid ?? '',
      controller: true,
      blockOwnerDeletion: true,
    };
    const wanted = desiredSlices(svc, members);
    for (const d of wanted) {
      const body: api.EndpointSlice = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: d.name, namespace: ns, labels, ownerReferences: [owner] },
        addressType: 'IPv4',
        endpoints: d.endpoints,
        ports: d.ports,
      };
      const live = existing.find((s) => s.metadata?.name === d.name);
      if (live === undefined) {
        await this.#client.create(where, body);
        continue;
      }
      if (
        isDeepStrictEqual(live.endpoints ?? [], d.endpoints) &&
        isDeepStrictEqual(live.ports ?? [], d.ports) &&
        isDeepStrictEqual(live.metadata?.labels ?? {}, labels) &&
        isDeepStrictEqual(live.metadata?.ownerReferences ?? [], [owner])
      )
        continue;
      await this.#client.update(where, {
        ...body,
        metadata: { ...live.metadata, labels, ownerReferences: [owner] },
      } as api.EndpointSlice);
    }
    for (const s of existing)
      if (!wanted.some((d) => d.name === s.metadata?.name))
        await this.#gone(where, s.metadata?.name ?? '');
  }
}

/** RunEndpointsOptions say how the controller runs. */
export interface RunEndpointsOptions {
  readonly logger?: Logger;
  readonly signal?: AbortSignal;
  /** workers is how many Services reconcile at once (default 2). */
  readonly workers?: number;
}

/**
 * runEndpointsController keeps the Endpoints and EndpointSlices of every Service with a
 * selector until stopped: a Service change, a change of a pod it selects (before or after the
 * change) and a change of its Endpoints or slices each queue the Service.
 */
export function runEndpointsController(
  client: Client,
  options: RunEndpointsOptions = {},
): RunningController {
  const factory = new InformerFactory(client, { logger: options.logger });
  const src = endpointsSources(factory);
  const queue = new WorkQueue();
  const add = (o: api.KubeObject) => queue.add(keyOf(o));
  src.services.addHandlers({ add, update: (_old, o) => add(o), delete: add });
  const forPod = (pod: api.Pod) => {
    const ns = pod.metadata?.namespace;
    for (const svc of src.services.cache.list())
      if (svc.metadata?.namespace === ns && selects(svc, pod)) add(svc);
  };
  src.pods.addHandlers({
    add: forPod,
    update: (old, pod) => {
      forPod(old);
      forPod(pod);
    },
    delete: forPod,
  });
  src.endpoints.addHandlers({ add, update: (_old, o) => add(o), delete: add });
  const forSlice = (s: api.EndpointSlice) => {
    const name = s.metadata?.labels?.[serviceNameLabel];
    if (name !== undefined) queue.add(`${s.metadata?.namespace ?? ''}/${name}`);
  };
  src.slices.addHandlers({ add: forSlice, update: (_old, s) => forSlice(s), delete: forSlice });
  factory.start();
  const running = runController({
    queue,
    reconcile: new EndpointsReconciler(client, src),
    workers: options.workers ?? 2,
    logger: options.logger,
    signal: options.signal,
  });
  const finished = running.finished.then(() => factory.stop());
  return {
    finished,
    async stop() {
      await running.stop();
      await finished;
    },
  };
}
