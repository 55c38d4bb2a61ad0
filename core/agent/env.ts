import type { Container, EnvVar } from '../../sdk/api/core/container.ts';
import type { Pod } from '../../sdk/api/core/pod.ts';
import { parseQuantity, quantityMillis } from '../../sdk/api/quantity.ts';

/** EnvLookup reads what a container's environment may refer to (decoded key/value maps). */
export interface EnvLookup {
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** allocatable is the node's allocatable amount of a resource (`cpu`, `memory`), for limits left unset. */
  allocatable(resource: string): string | undefined;
}

/** ResolvedEnv is a container's final environment, command and args, or why it has none. */
export type ResolvedEnv =
  | { ok: true; env: { key: string; value: string }[]; command: string[]; args: string[] }
  | { ok: false; message: string };

/**
 * expandVars replaces `$(NAME)` by the variable's value as Kubernetes does: `$$` is a literal
 * `$`, a reference to an unknown name or an unclosed `$(` stays as written.
 */
export function expandVars(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      const value = name === '' ? undefined : lookup(name);
      out += value ?? `$(${name})`;
      i = close;
    } else {
      out += c + next;
      i++;
    }
  }
  return out;
}

const fieldPaths: Record<string, (pod: Pod) => string | undefined> = {
  'metadata.name': (p) => p.metadata?.name,
  'metadata.namespace': (p) => p.metadata?.namespace,
  'metadata.uid': (p) => p.metadata?.uid,
  'spec.nodeName': (p) => p.spec?.nodeName,
  'spec.serviceAccountName': (p) => p.spec?.serviceAccountName,
  'status.hostIP': (p) => p.status?.hostIP,
  'status.hostIPs': (p) => (p.status?.hostIPs ?? []).map((x) => x.ip).join(','),
  'status.podIP': (p) => p.status?.podIP,
  'status.podIPs': (p) => (p.status?.podIPs ?? []).map((x) => x.ip).join(','),
};

/** fieldRefValue reads a downward-API field of the pod, or undefined when the path is unsupported. */
export function fieldRefValue(pod: Pod, path: string): string | undefined {
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (keyed) {
    const map = keyed[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[keyed[2] ?? ''] ?? '';
  }
  if (path === 'metadata.labels' || path === 'metadata.annotations') {
    const map =
      (path === 'metadata.labels' ? pod.metadata?.labels : pod.metadata?.annotations) ?? {};
    return Object.entries(map)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join('\n');
  }
  const getter = fieldPaths[path];
  return getter ? (getter(pod) ?? '') : undefined;
}

/** resourceFieldValue reads a container's limit or request, divided by divisor and rounded up. */
export function resourceFieldValue(
  container: Container,
  resource: string,
  divisor: string | undefined,
  allocatable: (resource: string) => string | undefined,
): string | { error: string } {
  const m = /^(limits|requests)\.(cpu|memory|ephemeral-storage)$/.exec(resource);
  if (!m) return { error: `unsupported resource ${JSON.stringify(resource)}` };
  const [, kind = '', name = ''] = m;
  const set = kind === 'limits' ? container.resources?.limits : container.resources?.requests;
  // An unset limit reads as the node's allocatable amount; an unset request as zero (or the limit).
  const raw =
    set?.[name] ??
    (kind === 'limits' ? allocatable(name) : (container.resources?.limits?.[name] ?? '0'));
  const amount = parseQuantity(raw ?? '0');
  const div = parseQuantity(divisor ?? '1');
  if (!amount.ok || !div.ok) return { error: `bad quantity in resourceFieldRef ${resource}` };
  const divMillis = quantityMillis(div.quantity);
  if (divMillis <= 0n) return { error: `divisor of ${resource} must be positive` };
  const millis = quantityMillis(amount.quantity);
  const value = (millis + divMillis - 1n) / divMillis;
  // cpu rounds up to at least one unit of the divisor, as Kubernetes does.
  return String(name === 'cpu' && value === 0n && millis > 0n ? 1n : value);
}

const validEnvName = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * resolveEnv computes a container's environment as the kubelet does: envFrom sources first
 * (with their prefix, invalid names skipped), then env entries in order, each `value` expanded
 * against the variables defined before it; command and args are expanded against the result.
 */
export async function resolveEnv(
  pod: Pod,
  container: Container,
  lookup: EnvLookup,
): Promise<ResolvedEnv> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const vars = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const kind = from.configMapRef ? 'configmap' : 'secret';
    const name = ref.name ?? '';
    const data = from.configMapRef
      ? await lookup.configMap(namespace, name)
      : await lookup.secret(namespace, name);
    if (data === undefined) {
      if (ref.optional) continue;
      return { ok: false, message: `${kind} "${name}" not found` };
    }
    for (const [k, v] of Object.entries(data)) {
      const key = `${from.prefix ?? ''}${k}`;
      if (validEnvName.test(key)) vars.set(key, v);
    }
  }
  for (const entry of container.env ?? []) {
    const value = await envValue(pod, container, entry, vars, lookup);
    if (typeof value === 'object') {
      if (value.skip) continue;
      return { ok: false, message: value.error };
    }
    vars.set(entry.name, value);
  }
  const lookupVar = (n: string) => vars.get(n);
  return {
    ok: true,
    env: [...vars].map(([key, value]) => ({ key, value })),
    command: (container.command ?? []).map((c) => expandVars(c, lookupVar)),
    args: (container.args ?? []).map((a) => expandVars(a, lookupVar)),
  };
}

async function envValue(
  pod: Pod,
  container: Container,
  entry: EnvVar,
  defined: Map<string, string>,
  lookup: EnvLookup,
): Promise<string | { error: string; skip?: boolean }> {
  const src = entry.valueFrom;
  if (!src) return expandVars(entry.value ?? '', (n) => defined.get(n));
  const namespace = pod.metadata?.namespace ?? 'default';
  if (src.fieldRef) {
    const v = fieldRefValue(pod, src.fieldRef.fieldPath);
    return v ?? { error: `unsupported fieldPath ${JSON.stringify(src.fieldRef.fieldPath)}` };
  }
  if (src.resourceFieldRef) {
    const target = src.resourceFieldRef.containerName
      ? [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find(
          (c) => c.name === src.resourceFieldRef?.containerName,
        )
      : container;
    if (!target)
      return { error: `container ${src.resourceFieldRef.containerName} not found in the pod` };
    const v = resourceFieldValue(
      target,
      src.resourceFieldRef.resource,
      src.resourceFieldRef.divisor === undefined ? undefined : String(src.resourceFieldRef.divisor),
      lookup.allocatable,
    );
    return typeof v === 'string' ? v : v;
  }
  const keyRef = src.configMapKeyRef ?? src.secretKeyRef;
  if (keyRef) {
    const kind = src.configMapKeyRef ? 'configmap' : 'secret';
    const name = keyRef.name ?? '';
    const data = src.configMapKeyRef
      ? await lookup.configMap(namespace, name)
      : await lookup.secret(namespace, name);
    if (data === undefined)
      return keyRef.optional ? { error: '', skip: true } : { error: `${kind} "${name}" not found` };
    const v = data[keyRef.key];
    if (v === undefined)
      return keyRef.optional
        ? { error: '', skip: true }
        : {
            error: `couldn't find key ${keyRef.key} in ${kind === 'configmap' ? 'ConfigMap' : 'Secret'} ${namespace}/${name}`,
          };
    return v;
  }
  return '';
}
