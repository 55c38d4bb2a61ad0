// What a Service's Endpoints and EndpointSlices should hold, from the Service and its pods.
import { createHash } from 'node:crypto';
import type { api } from '../../sdk/index.ts';

/** managedBy is the value of endpointslice.kubernetes.io/managed-by on slices made here. */
export const managedBy = 'endpointslice-controller.k8s.io';

/** serviceNameLabel names the Service a slice belongs to. */
export const serviceNameLabel = 'kubernetes.io/service-name';

/** managedByLabel names the controller that owns a slice. */
export const managedByLabel = 'endpointslice.kubernetes.io/managed-by';

/** endpointsManagedByLabel marks Endpoints this controller made (as Kubernetes 1.33 labels them). */
export const endpointsManagedByLabel = 'endpoints.kubernetes.io/managed-by';

/** endpointsManagedBy is that label's value. */
export const endpointsManagedBy = 'endpoint-controller';

type Pod = api.Pod;
type Service = api.Service;
type EndpointPort = { name?: string; port: number; protocol: string; appProtocol?: string };

/** PodEndpoint is one pod behind a Service: its address, state and resolved ports. */
export interface PodEndpoint {
  readonly pod: Pod;
  readonly ip: string;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly ports: EndpointPort[];
}

const isReady = (pod: Pod) =>
  (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * resolvePort finds the pod port a Service port's targetPort names: a number as is, a name
 * through the pod's container ports (with the same protocol); undefined when the pod has none.
 */
export function resolvePort(pod: Pod, port: api.ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = port.protocol ?? 'TCP';
  for (const c of pod.spec?.containers ?? [])
    for (const cp of c.ports ?? [])
      if (cp.name === target && (cp.protocol ?? 'TCP') === protocol) return cp.containerPort;
  return undefined;
}

/**
 * podEndpoints lists the pods a Service selects that can take traffic some day: with an IP,
 * not finished, in the Service's namespace. Ready follows the pod's Ready condition (or is
 * always true with publishNotReadyAddresses); a pod being deleted is terminating and not ready.
 */
export function podEndpoints(svc: Service, pods: readonly Pod[]): PodEndpoint[] {
  const out: PodEndpoint[] = [];
  const publish = svc.spec?.publishNotReadyAddresses === true;
  for (const pod of pods) {
    const ip = pod.status?.podIP;
    const phase = pod.status?.phase;
    if (ip === undefined || ip === '' || phase === 'Succeeded' || phase === 'Failed') continue;
    const terminating = pod.metadata?.deletionTimestamp !== undefined;
    const serving = publish || isReady(pod);
    const ports: EndpointPort[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const port = resolvePort(pod, sp);
      if (port === undefined) continue;
      ports.push({
        ...(sp.name ? { name: sp.name } : {}),
        port,
        protocol: sp.protocol ?? 'TCP',
        ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}),
      });
    }
    out.push({ pod, ip, ready: serving && (publish || !terminating), serving, terminating, ports });
  }
  return out.sort((a, b) => a.ip.localeCompare(b.ip) || name(a).localeCompare(name(b)));
}

const name = (e: PodEndpoint) => e.pod.metadata?.name ?? '';

const address = (e: PodEndpoint) => ({
  ip: e.ip,
  ...(e.pod.spec?.nodeName ? { nodeName: e.pod.spec.nodeName } : {}),
  targetRef: {
    kind: 'Pod',
    namespace: e.pod.metadata?.namespace ?? '',
    name: name(e),
    uid: e.pod.metadata?.uid ?? '',
  },
});

const portsKey = (ports: readonly EndpointPort[]) => JSON.stringify(ports);

/**
 * endpointsSubsets groups pods by their resolved ports, as Kubernetes' Endpoints do: ready
 * pods under addresses, the others under notReadyAddresses (terminating pods are left out
 * unless the Service publishes not-ready addresses).
 */
export function endpointsSubsets(endpoints: readonly PodEndpoint[]): api.Endpoints['subsets'] {
  const groups = new Map<
    string,
    { ports: EndpointPort[]; ready: PodEndpoint[]; notReady: PodEndpoint[] }
  >();
  for (const e of endpoints) {
    if (e.terminating && !e.ready) continue;
    const key = portsKey(e.ports);
    const g = groups.get(key) ?? { ports: e.ports, ready: [], notReady: [] };
    (e.ready ? g.ready : g.notReady).push(e);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => ({
    ...(g.ready.length > 0 ? { addresses: g.ready.map(address) } : {}),
    ...(g.notReady.length > 0 ? { notReadyAddresses: g.notReady.map(address) } : {}),
    ...(g.ports.length > 0 ? { ports: g.ports } : {}),
  }));
}

/** DesiredSlice is one EndpointSlice a Service should have: its name, ports and endpoints. */
export interface DesiredSlice {
  readonly name: string;
  readonly ports: EndpointPort[];
  readonly endpoints: NonNullable<api.EndpointSlice['endpoints']>;
}

/** maxEndpointsPerSlice is how many endpoints one slice holds (Kubernetes' default). */
export const maxEndpointsPerSlice = 100;

/**
 * desiredSlices makes slices per distinct set of resolved ports (pods that name a port
 * differently land in different slices), at most {@link maxEndpointsPerSlice} endpoints each
 * (in address order), named after the Service, a hash of the ports and the chunk's place, so
 * that a pass finds the slices it made before. A Service with no pods has one empty slice.
 */
export function desiredSlices(
  svc: Service,
  endpoints: readonly PodEndpoint[],
  perSlice = maxEndpointsPerSlice,
): DesiredSlice[] {
  const svcName = svc.metadata?.name ?? '';
  const groups = new Map<string, PodEndpoint[]>();
  for (const e of endpoints) {
    const key = portsKey(e.ports);
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  if (groups.size === 0)
    return [{ name: sliceName(svcName, portsKey([])), ports: [], endpoints: [] }];
  const out: DesiredSlice[] = [];
  for (const [key, members] of groups)
    for (let at = 0; at < members.length; at += perSlice)
      out.push({
        name: sliceName(svcName, key, at / perSlice),
        ports: members[0]?.ports ?? [],
        endpoints: members.slice(at, at + perSlice).map((e) => ({
          addresses: [e.ip],
          conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating },
          ...(e.pod.spec?.nodeName ? { nodeName: e.pod.spec.nodeName } : {}),
          targetRef: address(e).targetRef,
        })),
      });
  return out;
}

/**
 * sliceName is `<service>-<5 hex of the ports>`, with `-<n>` for the chunks after the first,
 * the service part cut so the whole stays a valid label-length name.
 */
export function sliceName(service: string, ports: string, chunk = 0): string {
  const hash = createHash('sha256').update(ports).digest('hex').slice(0, 5);
  const suffix = chunk === 0 ? hash : `${hash}-${chunk}`;
  return `${service.slice(0, 62 - suffix.length)}-${suffix}`;
}
