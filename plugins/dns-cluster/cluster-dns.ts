// The cluster DNS as a running piece: informers on Services and Endpoints, the server, and
// the kube-dns Service whose address pods' resolv.conf names.
import { networkInterfaces } from 'node:os';
import {
  api,
  dnsServiceOffset,
  InformerFactory,
  isSkiffError,
  type KubeClient,
  type Logger,
  parseIpv4Cidr,
  resourceOf,
  serviceAddress,
} from '../../sdk/index.ts';
import type { DnsSources } from './records.ts';
import { type RunningDnsServer, startDnsServer } from './server.ts';

type Client = Pick<KubeClient, 'list' | 'watch' | 'create' | 'get' | 'update'>;

/** ClusterDnsOptions configure the cluster DNS. */
export interface ClusterDnsOptions {
  /** host and port to listen on (UDP and TCP). */
  readonly host: string;
  readonly port: number;
  readonly domain: string;
  readonly upstreams: readonly string[];
  /** serviceCidr places the kube-dns Service at its .10 address. */
  readonly serviceCidr: string;
  /** advertiseAddress is the address kube-dns's endpoints name (default: from the host). */
  readonly advertiseAddress?: string;
  readonly ttl?: number;
  readonly logger?: Logger;
}

/** RunningClusterDns is the started cluster DNS. */
export interface RunningClusterDns {
  readonly server: RunningDnsServer;
  /** ready resolves once the caches have listed and kube-dns is in place. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

const kinds = api.builtinKindRegistry();
const ref = (apiVersion: string, kind: string, namespace?: string) =>
  resourceOf(kinds, { apiVersion, kind }, namespace);

function advertise(host: string): string {
  if (host !== '0.0.0.0' && host !== '::' && host !== '') return host;
  for (const addrs of Object.values(networkInterfaces()))
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * ensureKubeDns makes the kube-dns Service in kube-system (cluster IP .10 of the range, dns
 * 53/UDP and dns-tcp 53/TCP, no selector) and points its Endpoints at this server.
 */
export async function ensureKubeDns(
  client: Client,
  opts: { serviceCidr: string; address: string; port: number },
): Promise<void> {
  const cidr = parseIpv4Cidr(opts.serviceCidr);
  if ('error' in cidr) throw new Error(`service CIDR ${cidr.error}`);
  const labels = {
    'k8s-app': 'kube-dns',
    'kubernetes.io/cluster-service': 'true',
    'kubernetes.io/name': 'CoreDNS',
  };
  const ports = [
    { name: 'dns', port: 53, protocol: 'UDP', targetPort: opts.port },
    { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: opts.port },
  ];
  const services = ref('v1', 'Service', 'kube-system');
  // Look before creating: a create naming the address an existing kube-dns holds is refused
  // by the address allocator (422 already allocated) before the name is compared, as in
  // Kubernetes, so a restart must find the Service rather than meet AlreadyExists.
  const live = await getIfPresent<api.Service>(client, services, 'kube-dns');
  if (live === undefined) {
    await client.create(services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: 'kube-system', labels },
      spec: { clusterIP: serviceAddress(cidr, dnsServiceOffset), ports },
    } as api.Service);
  } else if (JSON.stringify(live.spec?.ports) !== JSON.stringify(ports)) {
    await client.update(services, { ...live, spec: { ...live.spec, ports } } as api.Service);
  }
  const subsets = [
    {
      addresses: [{ ip: opts.address }],
      ports: [
        { name: 'dns', port: opts.port, protocol: 'UDP' },
        { name: 'dns-tcp', port: opts.port, protocol: 'TCP' },
      ],
    },
  ];
  const endpoints = ref('v1', 'Endpoints', 'kube-system');
  try {
    await client.create(endpoints, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'kube-dns', namespace: 'kube-system', labels },
      subsets,
    } as api.Endpoints);
  } catch (err) {
    if (!isSkiffError(err, 'AlreadyExists')) throw err;
    const live = await client.get<api.Endpoints>(endpoints, 'kube-dns');
    if (JSON.stringify(live.subsets) !== JSON.stringify(subsets))
      await client.update(endpoints, { ...live, subsets } as api.Endpoints);
  }
  // Node proxies forward from EndpointSlices, and kube-dns has no selector for the endpoints
  // controller to follow: this server writes its slice itself, as it does its Endpoints.
  const slices = ref('discovery.k8s.io/v1', 'EndpointSlice', 'kube-system');
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'kube-dns',
      namespace: 'kube-system',
      labels: {
        ...labels,
        'kubernetes.io/service-name': 'kube-dns',
        'endpointslice.kubernetes.io/managed-by': 'dns-cluster.skiff.io',
      },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [opts.address], conditions: { ready: true } }],
    ports: subsets[0]?.ports,
  };
  const liveSlice = await getIfPresent<api.KubeObject>(client, slices, 'kube-dns');
  if (liveSlice === undefined) await client.create(slices, slice as api.KubeObject);
  else {
    const { endpoints: e, ports: p } = liveSlice as unknown as typeof slice;
    if (JSON.stringify([e, p]) !== JSON.stringify([slice.endpoints, slice.ports]))
      await client.update(slices, { ...liveSlice, ...slice, metadata: liveSlice.metadata });
  }
}

/**
 * startClusterDns serves the cluster's names from informer caches: an answer reflects a
 * Service or Endpoints change as soon as the watch delivers it.
 */
export async function startClusterDns(
  client: Client,
  opts: ClusterDnsOptions,
): Promise<RunningClusterDns> {
  const factory = new InformerFactory(client, opts.logger ? { logger: opts.logger } : {});
  const services = factory.informerFor<api.Service>(ref('v1', 'Service'));
  const endpoints = factory.informerFor<api.Endpoints>(ref('v1', 'Endpoints'));
  const sources: DnsSources = {
    service: (ns, name) => services.cache.get(`${ns}/${name}`),
    endpoints: (ns, name) => endpoints.cache.get(`${ns}/${name}`),
  };
  factory.start();
  let server: RunningDnsServer;
  try {
    server = await startDnsServer({
      host: opts.host,
      port: opts.port,
      domain: opts.domain,
      upstreams: opts.upstreams,
      sources,
      ...(opts.ttl === undefined ? {} : { ttl: opts.ttl }),
    });
  } catch (err) {
    await factory.stop();
    throw err;
  }
  let stopped = false;
  const ready = (async () => {
    await factory.waitForSync();
    // The API server may not answer yet, or briefly refuse: keep trying until stopped.
    for (let delay = 200; !stopped; delay = Math.min(delay * 2, 5000)) {
      try {
        await ensureKubeDns(client, {
          serviceCidr: opts.serviceCidr,
          address: opts.advertiseAddress ?? advertise(opts.host),
          port: server.port,
        });
        return;
      } catch (err) {
        opts.logger?.warn('kube-dns Service not in place yet', { error: String(err) });
        await sleep(delay);
      }
    }
  })();
  return {
    server,
    ready,
    async stop() {
      stopped = true;
      await server.close();
      await factory.stop();
    },
  };
}

async function getIfPresent<T extends api.KubeObject>(
  client: Client,
  where: ReturnType<typeof ref>,
  name: string,
): Promise<T | undefined> {
  try {
    return await client.get<T>(where, name);
  } catch (err) {
    if (isSkiffError(err, 'NotFound')) return undefined;
    throw err;
  }
}
