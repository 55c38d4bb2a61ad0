import type { Ingress, IngressBackend, IngressBackendV1beta1, IngressV1beta1 } from './ingress.ts';

function backendToV1(b: IngressBackendV1beta1): IngressBackend {
  if (b.resource !== undefined) return { resource: { ...b.resource } };
  const port =
    typeof b.servicePort === 'number'
      ? { number: b.servicePort }
      : b.servicePort === undefined
        ? undefined
        : { name: b.servicePort };
  return { service: { name: b.serviceName ?? '', ...(port === undefined ? {} : { port }) } };
}

function backendFromV1(b: IngressBackend): IngressBackendV1beta1 {
  if (b.resource !== undefined) return { resource: { ...b.resource } };
  const port = b.service?.port;
  const servicePort = port?.name !== undefined && port.name !== '' ? port.name : port?.number;
  return {
    serviceName: b.service?.name ?? '',
    ...(servicePort === undefined ? {} : { servicePort }),
  };
}

/** ingressV1beta1ToV1 converts a deprecated extensions/v1beta1 Ingress to networking.k8s.io/v1. */
export function ingressV1beta1ToV1(ing: IngressV1beta1): Ingress {
  const spec = ing.spec;
  const out: Ingress = structuredClone({ ...ing, spec: undefined }) as Ingress;
  out.apiVersion = 'networking.k8s.io/v1';
  out.kind = 'Ingress';
  if (spec === undefined) {
    delete out.spec;
    return out;
  }
  const { backend, rules, ...rest } = structuredClone(spec);
  out.spec = { ...rest };
  if (backend !== undefined) out.spec.defaultBackend = backendToV1(backend);
  if (rules !== undefined)
    out.spec.rules = rules.map((rule) => ({
      ...(rule.host === undefined ? {} : { host: rule.host }),
      ...(rule.http === undefined
        ? {}
        : {
            http: {
              paths: rule.http.paths.map((p) => ({
                ...(p.path === undefined ? {} : { path: p.path }),
                ...(p.pathType === undefined ? {} : { pathType: p.pathType }),
                backend: backendToV1(p.backend),
              })),
            },
          }),
    }));
  return out;
}

/** ingressV1ToV1beta1 converts a networking.k8s.io/v1 Ingress to a v1beta1 group's shape. */
export function ingressV1ToV1beta1(
  ing: Ingress,
  apiVersion = 'extensions/v1beta1',
): IngressV1beta1 {
  const spec = ing.spec;
  const out: IngressV1beta1 = structuredClone({ ...ing, spec: undefined }) as IngressV1beta1;
  out.apiVersion = apiVersion;
  out.kind = 'Ingress';
  if (spec === undefined) {
    delete out.spec;
    return out;
  }
  const { defaultBackend, rules, ...rest } = structuredClone(spec);
  out.spec = { ...rest };
  if (defaultBackend !== undefined) out.spec.backend = backendFromV1(defaultBackend);
  if (rules !== undefined)
    out.spec.rules = rules.map((rule) => ({
      ...(rule.host === undefined ? {} : { host: rule.host }),
      ...(rule.http === undefined
        ? {}
        : {
            http: {
              paths: rule.http.paths.map((p) => ({
                ...(p.path === undefined ? {} : { path: p.path }),
                ...(p.pathType === undefined ? {} : { pathType: p.pathType }),
                backend: backendFromV1(p.backend),
              })),
            },
          }),
    }));
  return out;
}
