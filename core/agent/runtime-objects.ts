import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Container } from '../../sdk/api/core/container.ts';
import type { Pod } from '../../sdk/api/core/pod.ts';
import { parseQuantity, quantityMillis } from '../../sdk/api/quantity.ts';
import type { RpcRequest } from '../../sdk/runtime/rpcs.ts';

/** podLabel names the labels that tie runtime objects to their pod and container (kubelet's). */
export const podLabel = {
  name: 'io.kubernetes.pod.name',
  namespace: 'io.kubernetes.pod.namespace',
  uid: 'io.kubernetes.pod.uid',
  container: 'io.kubernetes.container.name',
} as const;

/** specHashAnnotation carries a hash of the pod spec on the sandbox. */
export const specHashAnnotation = 'skiff.io/pod-spec-hash';

type SandboxConfig = NonNullable<RpcRequest<'RunPodSandbox'>['config']>;
type ContainerConfig = NonNullable<RpcRequest<'CreateContainer'>['config']>;
type DnsConfig = NonNullable<SandboxConfig['dnsConfig']>;
type LinuxResources = NonNullable<NonNullable<ContainerConfig['linux']>['resources']>;

/** podLabels are the labels every runtime object of the pod carries. */
export function podLabels(pod: Pod): Record<string, string> {
  const m = pod.metadata ?? {};
  return {
    [podLabel.name]: m.name ?? '',
    [podLabel.namespace]: m.namespace ?? 'default',
    [podLabel.uid]: m.uid ?? '',
  };
}

/** podLogDirectory is the sandbox's log directory: `<root>/pods/<namespace>_<name>_<uid>`. */
export function podLogDirectory(root: string, pod: Pod): string {
  const m = pod.metadata ?? {};
  return join(root, 'pods', `${m.namespace ?? 'default'}_${m.name ?? ''}_${m.uid ?? ''}`);
}

/** DnsSettings are the node's cluster DNS settings (kubelet's --cluster-dns and --cluster-domain). */
export interface DnsSettings {
  clusterDNS: string[];
  clusterDomain: string;
  /** hostResolvConf is the file `dnsPolicy: Default` copies (default /etc/resolv.conf). */
  hostResolvConf?: string;
}

function hostDns(path: string): DnsConfig {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // no resolv.conf: the pod gets none either
  }
  const servers: string[] = [];
  const searches: string[] = [];
  const options: string[] = [];
  for (const line of text.split('\n')) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key === 'nameserver' && rest[0]) servers.push(rest[0]);
    else if (key === 'search') searches.splice(0, searches.length, ...rest);
    else if (key === 'options') options.push(...rest);
  }
  return { servers, searches, options };
}

/**
 * podDnsConfig is the resolv.conf content the pod gets from its dnsPolicy and dnsConfig:
 * ClusterFirst uses the cluster DNS (falling back to the host's when the node has none, as the
 * kubelet does), Default the host's, None only what dnsConfig says; dnsConfig is merged in.
 */
export function podDnsConfig(pod: Pod, dns: DnsSettings): DnsConfig {
  const policy = pod.spec?.dnsPolicy ?? 'ClusterFirst';
  const host = () => hostDns(dns.hostResolvConf ?? '/etc/resolv.conf');
  const clusterFirst =
    (policy === 'ClusterFirst' && !pod.spec?.hostNetwork) || policy === 'ClusterFirstWithHostNet';
  let base: DnsConfig;
  if (policy === 'None') base = { servers: [], searches: [], options: [] };
  else if (clusterFirst && dns.clusterDNS.length > 0) {
    const ns = pod.metadata?.namespace ?? 'default';
    const d = dns.clusterDomain;
    base = {
      servers: [...dns.clusterDNS],
      searches: [`${ns}.svc.${d}`, `svc.${d}`, d, ...(host().searches ?? [])],
      options: ['ndots:5'],
    };
  } else base = host();
  const extra = pod.spec?.dnsConfig;
  const servers = [...(base.servers ?? []), ...(extra?.nameservers ?? [])];
  const searches = [...new Set([...(base.searches ?? []), ...(extra?.searches ?? [])])].slice(
    0,
    32,
  );
  const options = new Map<string, string>();
  for (const o of base.options ?? []) options.set(o.split(':')[0] ?? o, o);
  for (const o of extra?.options ?? []) {
    if (o.name) options.set(o.name, o.value === undefined ? o.name : `${o.name}:${o.value}`);
  }
  return { servers: servers.slice(0, 3), searches, options: [...options.values()] };
}

const protocols: Record<string, 'TCP' | 'UDP' | 'SCTP'> = { TCP: 'TCP', UDP: 'UDP', SCTP: 'SCTP' };

/** podHostname is the pod's hostname: spec.hostname or its name, cut to 63 characters. */
export function podHostname(pod: Pod): string {
  return (pod.spec?.hostname ?? pod.metadata?.name ?? '').slice(0, 63).replace(/[-.]+$/, '');
}

type SecurityProfileConfig = {
  profileType: 'RuntimeDefault' | 'Unconfined' | 'Localhost';
  localhostRef?: string;
};

/**
 * seccompProfile is the CRI seccomp profile for a container (or, given none, the pod's sandbox),
 * as the kubelet sends it: the container's own seccompProfile over the pod's, Unconfined when
 * neither names one, and a Localhost profile as a file under `<root>/seccomp`.
 */
export function seccompProfile(
  pod: Pod,
  container: Container | undefined,
  root: string,
): SecurityProfileConfig {
  const p = container?.securityContext?.seccompProfile ?? pod.spec?.securityContext?.seccompProfile;
  if (p?.type === 'RuntimeDefault') return { profileType: 'RuntimeDefault' };
  if (p?.type === 'Localhost') {
    return {
      profileType: 'Localhost',
      localhostRef: join(root, 'seccomp', p.localhostProfile ?? ''),
    };
  }
  return { profileType: 'Unconfined' };
}

/** sandboxConfig is the PodSandboxConfig of the pod's sandbox, attempt N. */
export function sandboxConfig(
  pod: Pod,
  attempt: number,
  root: string,
  dns: DnsSettings,
  specHash: string,
): SandboxConfig {
  const m = pod.metadata ?? {};
  const ports = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].flatMap(
    (c) => c.ports ?? [],
  );
  const hostNetwork = pod.spec?.hostNetwork === true;
  return {
    metadata: {
      name: m.name ?? '',
      namespace: m.namespace ?? 'default',
      uid: m.uid ?? '',
      attempt,
    },
    hostname: hostNetwork ? '' : podHostname(pod),
    logDirectory: podLogDirectory(root, pod),
    dnsConfig: podDnsConfig(pod, dns),
    portMappings: ports
      .filter((p) => (p.hostPort ?? 0) > 0)
      .map((p) => ({
        protocol: protocols[p.protocol ?? 'TCP'] ?? 'TCP',
        containerPort: p.containerPort,
        hostPort: p.hostPort ?? 0,
        hostIp: p.hostIP ?? '',
      })),
    labels: { ...(m.labels ?? {}), ...podLabels(pod) },
    annotations: { ...(m.annotations ?? {}), [specHashAnnotation]: specHash },
    linux: {
      securityContext: {
        seccomp: seccompProfile(pod, undefined, root),
        namespaceOptions: {
          network: hostNetwork ? 'NODE' : 'POD',
          pid: pod.spec?.hostPID ? 'NODE' : 'CONTAINER',
          ipc: pod.spec?.hostIPC ? 'NODE' : 'POD',
        },
      },
    },
  };
}

const cpuPeriod = 100_000;

function millis(q: unknown): bigint | undefined {
  if (q === undefined) return undefined;
  const p = parseQuantity(q as string);
  return p.ok ? quantityMillis(p.quantity) : undefined;
}

/**
 * linuxResources turns requests and limits into cgroup settings as the kubelet does: cpu
 * shares from the request (or the limit), a CFS quota from the cpu limit, a memory limit.
 */
export function linuxResources(container: Container): LinuxResources {
  const req = container.resources?.requests ?? {};
  const lim = container.resources?.limits ?? {};
  const cpuReq = millis(req.cpu ?? lim.cpu);
  const cpuLim = millis(lim.cpu);
  const memLim = millis(lim.memory);
  const shares = cpuReq === undefined ? 2n : (cpuReq * 1024n) / 1000n;
  const out: LinuxResources = {
    cpuShares: String(shares < 2n ? 2n : shares > 262144n ? 262144n : shares),
  };
  if (cpuLim !== undefined) {
    const quota = (cpuLim * BigInt(cpuPeriod)) / 1000n;
    out.cpuPeriod = String(cpuPeriod);
    out.cpuQuota = String(quota < 1000n ? 1000n : quota);
  }
  if (memLim !== undefined) out.memoryLimitInBytes = String(memLim / 1000n);
  return out;
}

/** containerConfig is the ContainerConfig of one container of the pod, attempt N. */
export function containerConfig(
  pod: Pod,
  container: Container,
  attempt: number,
  resolved: { env: { key: string; value: string }[]; command: string[]; args: string[] },
  image: string,
  root: string,
): ContainerConfig {
  return {
    metadata: { name: container.name, attempt },
    image: { image },
    command: resolved.command,
    args: resolved.args,
    workingDir: container.workingDir ?? '',
    envs: resolved.env,
    labels: { ...podLabels(pod), [podLabel.container]: container.name },
    annotations: {
      'io.kubernetes.container.restartCount': String(attempt),
      'io.kubernetes.container.terminationMessagePath':
        container.terminationMessagePath ?? '/dev/termination-log',
    },
    logPath: `${container.name}/${attempt}.log`,
    stdin: container.stdin ?? false,
    stdinOnce: container.stdinOnce ?? false,
    tty: container.tty ?? false,
    linux: {
      resources: linuxResources(container),
      securityContext: {
        seccomp: seccompProfile(pod, container, root),
        privileged: container.securityContext?.privileged ?? false,
        readonlyRootfs: container.securityContext?.readOnlyRootFilesystem ?? false,
        ...(container.securityContext?.runAsUser === undefined &&
        pod.spec?.securityContext?.runAsUser === undefined
          ? {}
          : {
              runAsUser: {
                value: String(
                  container.securityContext?.runAsUser ?? pod.spec?.securityContext?.runAsUser,
                ),
              },
            }),
        namespaceOptions: {
          network: pod.spec?.hostNetwork ? 'NODE' : 'POD',
          pid: pod.spec?.hostPID ? 'NODE' : pod.spec?.shareProcessNamespace ? 'POD' : 'CONTAINER',
          ipc: pod.spec?.hostIPC ? 'NODE' : 'POD',
        },
      },
    },
  };
}

/** pullPolicy is the container's imagePullPolicy with Kubernetes' default. */
export function pullPolicy(container: Container): 'Always' | 'IfNotPresent' | 'Never' {
  const p = container.imagePullPolicy;
  if (p === 'Always' || p === 'IfNotPresent' || p === 'Never') return p;
  const image = container.image ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  const last = image.slice(image.lastIndexOf('/') + 1);
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}
