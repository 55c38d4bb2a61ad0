import { networkInterfaces } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../sdk/api/meta.ts';
import { isSkiffError } from '../../sdk/errors.ts';
import { kubernetesServiceOffset, serviceAddress } from '../../sdk/service-network.ts';
import type { WriteContext } from './decode.ts';
import type { ObjectService } from './object-service.ts';
import type { ResourceRegistry } from './resources.ts';
import type { ServiceAllocations } from './service-alloc-hook.ts';

/** ApiEndpoint is where the API server can be reached: the address and port clients use. */
export interface ApiEndpoint {
  readonly ip: string;
  readonly port: number;
}

const ctx = (): WriteContext => ({ fieldValidation: 'Strict', dryRun: false, warnings: [] });
const port = { name: 'https', protocol: 'TCP', port: 443 };

async function ensure(
  objects: ObjectService,
  registry: ResourceRegistry,
  plural: [string, string, string],
  desired: KubeObject,
  same: (live: KubeObject) => boolean,
): Promise<void> {
  const res = registry.find(...plural);
  if (res === undefined) return;
  const name = desired.metadata?.name ?? '';
  let live: KubeObject | undefined;
  try {
    live = await objects.get(res, 'default', name);
  } catch (err) {
    if (!isSkiffError(err, 'NotFound')) throw err;
  }
  if (live === undefined) {
    try {
      await objects.create(res, 'default', desired, ctx());
    } catch (err) {
      if (!isSkiffError(err, 'AlreadyExists')) throw err;
    }
    return;
  }
  if (same(live)) return;
  const next = {
    ...live,
    ...desired,
    metadata: { ...live.metadata, labels: desired.metadata?.labels },
  } as KubeObject & { spec?: Record<string, unknown> };
  if ('spec' in desired && next.spec !== undefined)
    next.spec = { ...(live as { spec?: object }).spec, ...(desired as { spec: object }).spec };
  await objects.update(res, 'default', name, next, ctx());
}

/**
 * ensureKubernetesService makes the `kubernetes` Service in `default` (cluster IP .1 of the
 * range, port 443 `https` to the API server's port) and its Endpoints and EndpointSlice at the
 * API server's address, as kube-apiserver does at start; a server that moved port or address
 * updates them.
 */
export async function ensureKubernetesService(
  objects: ObjectService,
  registry: ResourceRegistry,
  alloc: ServiceAllocations,
  api: ApiEndpoint,
): Promise<void> {
  const labels = { component: 'apiserver', provider: 'kubernetes' };
  const ip = serviceAddress(alloc.cidr, kubernetesServiceOffset);
  const ports = [{ ...port, targetPort: api.port }];
  await ensure(
    objects,
    registry,
    ['', 'v1', 'services'],
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', namespace: 'default', labels },
      spec: { type: 'ClusterIP', clusterIP: ip, ports, sessionAffinity: 'None' },
    } as KubeObject,
    (live) => isDeepStrictEqual((live as { spec?: { ports?: unknown } }).spec?.ports, ports),
  );
  const subsets = [{ addresses: [{ ip: api.ip }], ports: [{ ...port, port: api.port }] }];
  await ensure(
    objects,
    registry,
    ['', 'v1', 'endpoints'],
    {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' },
      },
      subsets,
    } as KubeObject,
    (live) => isDeepStrictEqual((live as { subsets?: unknown }).subsets, subsets),
  );
  const endpoints = [{ addresses: [api.ip], conditions: { ready: true } }];
  const slicePorts = [{ ...port, port: api.port }];
  await ensure(
    objects,
    registry,
    ['discovery.k8s.io', 'v1', 'endpointslices'],
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { 'kubernetes.io/service-name': 'kubernetes' },
      },
      addressType: 'IPv4',
      endpoints,
      ports: slicePorts,
    } as KubeObject,
    (live) => {
      const s = live as { endpoints?: unknown; ports?: unknown };
      return isDeepStrictEqual(s.endpoints, endpoints) && isDeepStrictEqual(s.ports, slicePorts);
    },
  );
}

/**
 * advertiseAddress is the address the `kubernetes` endpoints name for a listen host: the host
 * itself, or for a wildcard the machine's first external IPv4 address (loopback if none).
 */
export function advertiseAddress(listenHost: string): string {
  if (listenHost !== '0.0.0.0' && listenHost !== '::' && listenHost !== '') return listenHost;
  for (const addrs of Object.values(networkInterfaces()))
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}
