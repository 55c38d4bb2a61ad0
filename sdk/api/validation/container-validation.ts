import type { Container, Probe } from '../core/container.ts';
import {
  nonNegative,
  oneOf,
  portNameOrNumber,
  portNumber,
  positive,
  protocols,
  validateRequestsWithinLimits,
} from './common.ts';
import {
  duplicate,
  type FieldError,
  fieldPath,
  forbidden,
  invalid,
  notFound,
  required,
} from './field-error.ts';
import { isCIdentifier, isDnsLabel, isEnvVarName, isIanaSvcName } from './names.ts';

const pullPolicies = ['Always', 'IfNotPresent', 'Never'];
const messagePolicies = ['FallbackToLogsOnError', 'File'];

function validateHandler(
  h: {
    exec?: unknown;
    httpGet?: { port: number | string; scheme?: string };
    tcpSocket?: { port: number | string };
    grpc?: { port: number };
    sleep?: { seconds: number };
  },
  path: string,
): FieldError[] {
  const set = (['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep'] as const).filter(
    (k) => h[k] !== undefined,
  );
  if (set.length === 0) return [required(path, 'must specify a handler type')];
  if (set.length > 1)
    return [forbidden(fieldPath(path, set[1] ?? ''), 'may not specify more than 1 handler type')];
  const out: FieldError[] = [];
  if (h.httpGet !== undefined) {
    out.push(...portNameOrNumber(fieldPath(path, 'httpGet', 'port'), h.httpGet.port));
    out.push(...oneOf(fieldPath(path, 'httpGet', 'scheme'), h.httpGet.scheme, ['HTTP', 'HTTPS']));
  }
  if (h.tcpSocket !== undefined)
    out.push(...portNameOrNumber(fieldPath(path, 'tcpSocket', 'port'), h.tcpSocket.port));
  if (h.grpc !== undefined) out.push(...portNumber(fieldPath(path, 'grpc', 'port'), h.grpc.port));
  if (h.sleep !== undefined)
    out.push(...nonNegative(fieldPath(path, 'sleep', 'seconds'), h.sleep.seconds));
  return out;
}

function validateProbe(p: Probe | undefined, path: string, name: string): FieldError[] {
  if (p === undefined) return [];
  const out = validateHandler(p, path);
  out.push(...nonNegative(fieldPath(path, 'initialDelaySeconds'), p.initialDelaySeconds));
  out.push(...positive(fieldPath(path, 'timeoutSeconds'), p.timeoutSeconds));
  out.push(...positive(fieldPath(path, 'periodSeconds'), p.periodSeconds));
  out.push(...positive(fieldPath(path, 'successThreshold'), p.successThreshold));
  out.push(...positive(fieldPath(path, 'failureThreshold'), p.failureThreshold));
  out.push(
    ...positive(fieldPath(path, 'terminationGracePeriodSeconds'), p.terminationGracePeriodSeconds),
  );
  if (name !== 'readinessProbe' && p.successThreshold !== undefined && p.successThreshold !== 1)
    out.push(invalid(fieldPath(path, 'successThreshold'), p.successThreshold, 'must be 1'));
  return out;
}

/** validateContainer checks one container against Kubernetes' rules. */
export function validateContainer(
  c: Container,
  path: string,
  volumeNames: ReadonlySet<string>,
): FieldError[] {
  const out: FieldError[] = [];
  if (c.name === '') out.push(required(fieldPath(path, 'name')));
  else for (const m of isDnsLabel(c.name)) out.push(invalid(fieldPath(path, 'name'), c.name, m));
  if (c.image === undefined || c.image.trim() === '') out.push(required(fieldPath(path, 'image')));
  out.push(...oneOf(fieldPath(path, 'imagePullPolicy'), c.imagePullPolicy, pullPolicies));
  out.push(
    ...oneOf(
      fieldPath(path, 'terminationMessagePolicy'),
      c.terminationMessagePolicy,
      messagePolicies,
    ),
  );
  const portNames = new Set<string>();
  (c.ports ?? []).forEach((port, i) => {
    const p = fieldPath(path, 'ports', i);
    if (port.name !== undefined && port.name !== '') {
      for (const m of isIanaSvcName(port.name))
        out.push(invalid(fieldPath(p, 'name'), port.name, m));
      if (portNames.has(port.name)) out.push(duplicate(fieldPath(p, 'name'), port.name));
      portNames.add(port.name);
    }
    if (port.containerPort === 0) out.push(required(fieldPath(p, 'containerPort')));
    else out.push(...portNumber(fieldPath(p, 'containerPort'), port.containerPort));
    out.push(...portNumber(fieldPath(p, 'hostPort'), port.hostPort, true));
    out.push(...oneOf(fieldPath(p, 'protocol'), port.protocol, protocols));
  });
  (c.env ?? []).forEach((env, i) => {
    const p = fieldPath(path, 'env', i);
    if (env.name === '') out.push(required(fieldPath(p, 'name')));
    else
      for (const m of isEnvVarName(env.name)) out.push(invalid(fieldPath(p, 'name'), env.name, m));
    const from = env.valueFrom;
    if (from !== undefined) {
      const sources = Object.keys(from).length;
      if (env.value !== undefined && env.value !== '')
        out.push(
          invalid(fieldPath(p, 'valueFrom'), '', 'may not be specified when `value` is not empty'),
        );
      if (sources !== 1)
        out.push(
          invalid(
            fieldPath(p, 'valueFrom'),
            '',
            'may not have more than one field specified at a time',
          ),
        );
    }
  });
  (c.envFrom ?? []).forEach((src, i) => {
    const p = fieldPath(path, 'envFrom', i);
    if (src.prefix !== undefined && src.prefix !== '')
      for (const m of isCIdentifier(src.prefix.replace(/[-.]/g, '_')))
        out.push(invalid(fieldPath(p, 'prefix'), src.prefix, m));
    const n = (src.configMapRef ? 1 : 0) + (src.secretRef ? 1 : 0);
    if (n !== 1) out.push(invalid(p, '', 'must specify one of: `configMapRef` or `secretRef`'));
  });
  const mountPaths = new Set<string>();
  (c.volumeMounts ?? []).forEach((vm, i) => {
    const p = fieldPath(path, 'volumeMounts', i);
    if (vm.name === '') out.push(required(fieldPath(p, 'name')));
    else if (!volumeNames.has(vm.name)) out.push(notFound(fieldPath(p, 'name'), vm.name));
    if (vm.mountPath === '') out.push(required(fieldPath(p, 'mountPath')));
    else if (mountPaths.has(vm.mountPath))
      out.push(invalid(fieldPath(p, 'mountPath'), vm.mountPath, 'must be unique'));
    mountPaths.add(vm.mountPath);
    if (
      vm.subPath !== undefined &&
      (vm.subPath.startsWith('/') || vm.subPath.split('/').includes('..'))
    )
      out.push(
        invalid(fieldPath(p, 'subPath'), vm.subPath, "must be a relative path without '..'"),
      );
    out.push(
      ...oneOf(fieldPath(p, 'mountPropagation'), vm.mountPropagation, [
        'Bidirectional',
        'HostToContainer',
        'None',
      ]),
    );
  });
  out.push(...validateRequestsWithinLimits(c.resources, fieldPath(path, 'resources')));
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const)
    out.push(...validateProbe(c[probe], fieldPath(path, probe), probe));
  for (const hook of ['postStart', 'preStop'] as const) {
    const h = c.lifecycle?.[hook];
    if (h !== undefined) out.push(...validateHandler(h, fieldPath(path, 'lifecycle', hook)));
  }
  const sc = c.securityContext;
  if (sc !== undefined) {
    out.push(...nonNegative(fieldPath(path, 'securityContext', 'runAsUser'), sc.runAsUser));
    out.push(...nonNegative(fieldPath(path, 'securityContext', 'runAsGroup'), sc.runAsGroup));
    if (sc.privileged === true && sc.allowPrivilegeEscalation === false)
      out.push(
        invalid(
          fieldPath(path, 'securityContext'),
          '',
          'cannot set `allowPrivilegeEscalation` to false and `privileged` to true',
        ),
      );
  }
  return out;
}
