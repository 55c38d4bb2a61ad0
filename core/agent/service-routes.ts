import type { Service } from '../../sdk/api/core/service.ts';
import type { EndpointSlice } from '../../sdk/api/networking/endpoint-slice.ts';
import type { ServiceEndpoint, ServicePort, ServiceRoute } from '../../sdk/service.ts';

/** serviceNameLabel ties an EndpointSlice to its Service. */
export const serviceNameLabel = 'kubernetes.io/service-name';

/** defaultAffinitySeconds is Kubernetes' ClientIP affinity timeout when none is given (3 h). */
export const defaultAffinitySeconds = 10_800;

const protocols = new Set(['TCP', 'UDP', 'SCTP']);

/**
 * serviceRoutes turns Services and their EndpointSlices into what the service types forward:
 * each service port with the ready IPv4 endpoints and the port each serves it on (taken from
 * the slice, where a named targetPort is already resolved per pod). ExternalName and headless
 * Services have nothing to forward and are left out.
 */
export function serviceRoutes(
  services: readonly Service[],
  slices: readonly EndpointSlice[],
): ServiceRoute[] {
  const byService = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const owner = s.metadata?.labels?.[serviceNameLabel];
    if (!owner || s.addressType !== 'IPv4') continue;
    const key = `${s.metadata?.namespace ?? ''}/${owner}`;
    byService.set(key, [...(byService.get(key) ?? []), s]);
  }
  const routes: ServiceRoute[] = [];
  for (const svc of services) {
    const spec = svc.spec ?? {};
    const type = spec.type ?? 'ClusterIP';
    if (type === 'ExternalName') continue;
    const namespace = svc.metadata?.namespace ?? 'default';
    const name = svc.metadata?.name ?? '';
    const clusterIPs = (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter(
      (ip) => ip !== '' && ip !== 'None' && !ip.includes(':'),
    );
    if (clusterIPs.length === 0) continue;
    const mine = byService.get(`${namespace}/${name}`) ?? [];
    const ports: ServicePort[] = [];
    for (const p of spec.ports ?? []) {
      const protocol = p.protocol ?? 'TCP';
      if (!protocols.has(protocol)) continue;
      const seen = new Set<string>();
      const endpoints: ServiceEndpoint[] = [];
      for (const slice of mine) {
        const sp = (slice.ports ?? []).find(
          (x) => (x.name ?? '') === (p.name ?? '') && (x.protocol ?? 'TCP') === protocol,
        );
        if (sp?.port === undefined) continue;
        for (const ep of slice.endpoints) {
          // A missing ready condition means ready, as Kubernetes reads it.
          if (ep.conditions?.ready === false) continue;
          for (const ip of ep.addresses) {
            const key = `${ip}:${sp.port}`;
            if (seen.has(key)) continue;
            seen.add(key);
            endpoints.push({ ip, port: sp.port });
          }
        }
      }
      const withNodePort = type === 'NodePort' || type === 'LoadBalancer';
      ports.push({
        ...(p.name ? { name: p.name } : {}),
        protocol: protocol as ServicePort['protocol'],
        port: p.port,
        ...(withNodePort && p.nodePort ? { nodePort: p.nodePort } : {}),
        endpoints,
      });
    }
    const lb =
      type === 'LoadBalancer'
        ? (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []))
        : [];
    routes.push({
      namespace,
      name,
      type,
      clusterIPs,
      ports,
      ...(lb.length > 0 ? { loadBalancerIPs: lb } : {}),
      ...(spec.sessionAffinity === 'ClientIP'
        ? {
            affinitySeconds:
              spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? defaultAffinitySeconds,
          }
        : {}),
    });
  }
  return routes.sort((a, b) =>
    `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`),
  );
}
