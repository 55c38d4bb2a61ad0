import type { Endpoints, Service } from '../core/service.ts';
import type { EndpointSlice } from '../networking/endpoint-slice.ts';
import type { Ingress, IngressBackend, IngressClass } from '../networking/ingress.ts';
import { oneOf, portNameOrNumber, portNumber, protocols } from './common.ts';
import {
  duplicate,
  type FieldError,
  fieldPath,
  forbidden,
  invalid,
  required,
} from './field-error.ts';
import { validateLabels } from './meta-validation.ts';
import {
  isDns1035Label,
  isDnsLabel,
  isDnsSubdomain,
  isIanaSvcName,
  isQualifiedName,
} from './names.ts';

const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** isIp tells whether a string is an IPv4 or IPv6 address. */
export const isIp = (s: string): boolean =>
  ipv4.test(s) || (s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s));

/** validateService checks a v1 Service's spec. */
export function validateService(svc: Service): FieldError[] {
  const spec = svc.spec;
  if (spec === undefined) return [required('spec')];
  const out: FieldError[] = [];
  const type = spec.type ?? 'ClusterIP';
  out.push(...oneOf('spec.type', spec.type, serviceTypes));
  out.push(...oneOf('spec.sessionAffinity', spec.sessionAffinity, ['ClientIP', 'None']));
  const ports = spec.ports ?? [];
  const headless = spec.clusterIP === 'None';
  if (type === 'ExternalName') {
    if ((spec.externalName ?? '') === '') out.push(required('spec.externalName'));
    else
      for (const m of isDnsSubdomain(spec.externalName ?? ''))
        out.push(invalid('spec.externalName', spec.externalName, m));
  } else if (ports.length === 0 && !headless) {
    out.push(required('spec.ports'));
  }
  const names = new Set<string>();
  const seen = new Set<string>();
  ports.forEach((port, i) => {
    const p = fieldPath('spec.ports', i);
    const name = port.name ?? '';
    if (ports.length > 1 && name === '') out.push(required(fieldPath(p, 'name')));
    if (name !== '') {
      for (const m of isDnsLabel(name)) out.push(invalid(fieldPath(p, 'name'), name, m));
      if (names.has(name)) out.push(duplicate(fieldPath(p, 'name'), name));
      names.add(name);
    }
    if (port.port === 0) out.push(required(fieldPath(p, 'port')));
    else out.push(...portNumber(fieldPath(p, 'port'), port.port));
    out.push(...oneOf(fieldPath(p, 'protocol'), port.protocol, protocols));
    out.push(...portNameOrNumber(fieldPath(p, 'targetPort'), port.targetPort));
    out.push(...portNumber(fieldPath(p, 'nodePort'), port.nodePort, true));
    if (
      port.nodePort !== undefined &&
      port.nodePort !== 0 &&
      (type === 'ClusterIP' || type === 'ExternalName')
    )
      out.push(forbidden(fieldPath(p, 'nodePort'), `may not be used when \`type\` is '${type}'`));
    const key = `${port.protocol ?? 'TCP'}/${port.port}`;
    if (seen.has(key))
      out.push(duplicate(p, { port: port.port, protocol: port.protocol ?? 'TCP' }));
    seen.add(key);
  });
  out.push(...validateLabels(spec.selector, 'spec.selector'));
  const ips = spec.clusterIPs ?? (spec.clusterIP === undefined ? [] : [spec.clusterIP]);
  ips.forEach((ip, i) => {
    if (ip !== '' && ip !== 'None' && !isIp(ip))
      out.push(
        invalid(
          spec.clusterIPs === undefined ? 'spec.clusterIP' : fieldPath('spec.clusterIPs', i),
          ip,
          'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
        ),
      );
  });
  if (type === 'ExternalName' && (spec.clusterIP ?? '') !== '')
    out.push(forbidden('spec.clusterIP', 'may not be set for ExternalName services'));
  (spec.externalIPs ?? []).forEach((ip, i) => {
    if (!isIp(ip))
      out.push(
        invalid(
          fieldPath('spec.externalIPs', i),
          ip,
          'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
        ),
      );
  });
  out.push(
    ...oneOf('spec.externalTrafficPolicy', spec.externalTrafficPolicy, ['Cluster', 'Local']),
  );
  out.push(
    ...oneOf('spec.internalTrafficPolicy', spec.internalTrafficPolicy, ['Cluster', 'Local']),
  );
  out.push(
    ...oneOf('spec.ipFamilyPolicy', spec.ipFamilyPolicy, [
      'PreferDualStack',
      'RequireDualStack',
      'SingleStack',
    ]),
  );
  (spec.ipFamilies ?? []).forEach((f, i) => {
    out.push(...oneOf(fieldPath('spec.ipFamilies', i), f, ['IPv4', 'IPv6']));
  });
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (timeout !== undefined && (timeout < 1 || timeout > 86400))
    out.push(
      invalid(
        'spec.sessionAffinityConfig.clientIP.timeoutSeconds',
        timeout,
        'must be greater than 0 and less than 86400',
      ),
    );
  return out;
}

/** validateEndpoints checks the addresses and ports of v1 Endpoints. */
export function validateEndpoints(ep: Endpoints): FieldError[] {
  const out: FieldError[] = [];
  (ep.subsets ?? []).forEach((subset, i) => {
    const p = fieldPath('subsets', i);
    for (const field of ['addresses', 'notReadyAddresses'] as const)
      (subset[field] ?? []).forEach((a, j) => {
        if (!isIp(a.ip))
          out.push(invalid(fieldPath(p, field, j, 'ip'), a.ip, 'must be a valid IP address'));
      });
    (subset.ports ?? []).forEach((port, j) => {
      out.push(...portNumber(fieldPath(p, 'ports', j, 'port'), port.port));
      out.push(...oneOf(fieldPath(p, 'ports', j, 'protocol'), port.protocol, protocols));
      if ((subset.ports?.length ?? 0) > 1 && (port.name ?? '') === '')
        out.push(required(fieldPath(p, 'ports', j, 'name')));
    });
  });
  return out;
}

/** validateEndpointSlice checks a discovery.k8s.io/v1 EndpointSlice. */
export function validateEndpointSlice(slice: EndpointSlice): FieldError[] {
  const out = oneOf('addressType', slice.addressType, ['FQDN', 'IPv4', 'IPv6']);
  slice.endpoints.forEach((e, i) => {
    if (e.addresses.length === 0)
      out.push(required(fieldPath('endpoints', i, 'addresses'), 'must contain at least 1 address'));
    e.addresses.forEach((a, j) => {
      if (slice.addressType !== 'FQDN' && !isIp(a))
        out.push(
          invalid(fieldPath('endpoints', i, 'addresses', j), a, 'must be a valid IP address'),
        );
    });
  });
  (slice.ports ?? []).forEach((port, i) => {
    out.push(...portNumber(fieldPath('ports', i, 'port'), port.port, true));
    out.push(...oneOf(fieldPath('ports', i, 'protocol'), port.protocol, protocols));
  });
  return out;
}

function validateBackend(b: IngressBackend, path: string): FieldError[] {
  const out: FieldError[] = [];
  if (b.service !== undefined && b.resource !== undefined)
    out.push(invalid(path, '', 'cannot set both resource and service backends'));
  else if (b.service === undefined && b.resource === undefined)
    out.push(invalid(path, '', 'resource or service backend is required'));
  if (b.service !== undefined) {
    const sp = fieldPath(path, 'service');
    for (const m of isDns1035Label(b.service.name))
      out.push(invalid(fieldPath(sp, 'name'), b.service.name, m));
    const port = b.service.port;
    const hasName = (port?.name ?? '') !== '';
    const hasNumber = port?.number !== undefined && port.number !== 0;
    if (hasName && hasNumber)
      out.push(invalid(fieldPath(sp, 'port'), port, 'cannot set both port name & port number'));
    else if (!hasName && !hasNumber)
      out.push(invalid(fieldPath(sp, 'port'), port ?? {}, 'port name or number is required'));
    else if (hasName)
      for (const m of isIanaSvcName(port?.name ?? ''))
        out.push(invalid(fieldPath(sp, 'port', 'name'), port?.name, m));
    else out.push(...portNumber(fieldPath(sp, 'port', 'number'), port?.number));
  }
  return out;
}

const pathTypes = ['Exact', 'ImplementationSpecific', 'Prefix'];

/** validateIngress checks a networking.k8s.io/v1 Ingress. */
export function validateIngress(ing: Ingress): FieldError[] {
  const spec = ing.spec;
  if (spec === undefined) return [required('spec')];
  const out: FieldError[] = [];
  if (spec.defaultBackend !== undefined)
    out.push(...validateBackend(spec.defaultBackend, 'spec.defaultBackend'));
  if ((spec.rules ?? []).length === 0 && spec.defaultBackend === undefined)
    out.push(invalid('spec.rules', [], 'either `defaultBackend` or `rules` must be specified'));
  if (spec.ingressClassName !== undefined)
    for (const m of isDnsSubdomain(spec.ingressClassName))
      out.push(invalid('spec.ingressClassName', spec.ingressClassName, m));
  (spec.rules ?? []).forEach((rule, i) => {
    const p = fieldPath('spec.rules', i);
    const host = rule.host ?? '';
    if (host !== '') {
      if (isIp(host))
        out.push(invalid(fieldPath(p, 'host'), host, 'must be a DNS name, not an IP address'));
      for (const m of isDnsSubdomain(host.replace(/^\*\./, '')))
        out.push(invalid(fieldPath(p, 'host'), host, m));
    }
    const paths = rule.http?.paths;
    if (rule.http !== undefined && (paths ?? []).length === 0)
      out.push(required(fieldPath(p, 'http', 'paths')));
    (paths ?? []).forEach((hp, j) => {
      const pp = fieldPath(p, 'http', 'paths', j);
      if (hp.pathType === undefined)
        out.push(required(fieldPath(pp, 'pathType'), 'pathType must be specified'));
      else out.push(...oneOf(fieldPath(pp, 'pathType'), hp.pathType, pathTypes));
      if (
        hp.pathType !== 'ImplementationSpecific' &&
        hp.path !== undefined &&
        !hp.path.startsWith('/')
      )
        out.push(invalid(fieldPath(pp, 'path'), hp.path, 'must be an absolute path'));
      if ((hp.pathType === 'Exact' || hp.pathType === 'Prefix') && (hp.path ?? '') === '')
        out.push(invalid(fieldPath(pp, 'path'), hp.path ?? '', 'must be an absolute path'));
      out.push(...validateBackend(hp.backend, fieldPath(pp, 'backend')));
    });
  });
  (spec.tls ?? []).forEach((tls, i) => {
    (tls.hosts ?? []).forEach((h, j) => {
      for (const m of isDnsSubdomain(h.replace(/^\*\./, '')))
        out.push(invalid(fieldPath('spec.tls', i, 'hosts', j), h, m));
    });
  });
  return out;
}

/** validateIngressClass checks a networking.k8s.io/v1 IngressClass. */
export function validateIngressClass(ic: IngressClass): FieldError[] {
  const out: FieldError[] = [];
  const controller = ic.spec?.controller ?? '';
  if (controller === '') out.push(required('spec.controller'));
  else if (controller.length > 250)
    out.push(invalid('spec.controller', controller, 'must be no more than 250 characters'));
  else if (!controller.includes('/') || isQualifiedName(controller.split('/')[0] ?? '').length > 0)
    out.push(
      invalid(
        'spec.controller',
        controller,
        'must be a domain-prefixed path (such as "acme.io/foo")',
      ),
    );
  const params = ic.spec?.parameters;
  if (params !== undefined)
    out.push(...oneOf('spec.parameters.scope', params.scope, ['Cluster', 'Namespace']));
  return out;
}
