// From an Ingress backend to the addresses that may receive the request: the Service's port
// (by number or name) and the ready addresses of its Endpoints on that port.
import type { api } from '../../sdk/index.ts';

/** Target is one ready endpoint address and port. */
export interface Target {
  readonly ip: string;
  readonly port: number;
}

/** Backends is the outcome of resolving a backend: targets, or why there are none. */
export type Backends = { readonly targets: readonly Target[] } | { readonly unavailable: string };

/** resolveBackends turns an Ingress backend into the ready targets of its Service port. */
export function resolveBackends(
  backend: api.IngressBackend,
  service: api.Service | undefined,
  endpoints: api.Endpoints | undefined,
): Backends {
  const ref = backend.service;
  if (ref === undefined) return { unavailable: 'the backend is a resource, not a service' };
  if (service === undefined) return { unavailable: `service ${ref.name} does not exist` };
  const ports = service.spec?.ports ?? [];
  const want = ref.port;
  const svcPort = ports.find((p) =>
    want?.name !== undefined && want.name !== '' ? p.name === want.name : p.port === want?.number,
  );
  if (svcPort === undefined)
    return {
      unavailable: `service ${ref.name} has no port ${want?.name || want?.number || '(none given)'}`,
    };
  const portName = svcPort.name ?? '';
  const targets: Target[] = [];
  for (const subset of endpoints?.subsets ?? []) {
    const subsetPorts = subset.ports ?? [];
    // Endpoints name their ports after the Service's; a lone unnamed port is the only one.
    const epPort =
      subsetPorts.find((p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === 'TCP') ??
      (ports.length === 1 && subsetPorts.length === 1 ? subsetPorts[0] : undefined);
    if (epPort?.port === undefined) continue;
    for (const a of subset.addresses ?? []) targets.push({ ip: a.ip, port: epPort.port });
  }
  if (targets.length === 0)
    return {
      unavailable: `service ${ref.name} has no ready endpoints on port ${portName || svcPort.port}`,
    };
  return { targets };
}
