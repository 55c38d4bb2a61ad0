import { release } from 'node:os';
import { defaultPath } from '../../sdk/runtime/base-images.ts';
import type { RpcRequestReceived } from '../../sdk/runtime/rpcs.ts';
import {
  type OciSeccomp,
  ociSeccomp,
  readSeccompProfile,
  runtimeDefaultSeccomp,
  seccompChoice,
} from '../../sdk/runtime/seccomp.ts';
import type { AnyMessage } from './client.ts';
import type { ImageConfig } from './images.ts';

type ContainerConfig = NonNullable<RpcRequestReceived<'CreateContainer'>['config']>;

/** OciSpec is an OCI runtime spec as JSON (only the shape the adapter writes). */
export type OciSpec = Record<string, unknown> & {
  process: OciProcess;
  linux: Record<string, unknown> & { namespaces: { type: string; path?: string }[] };
  mounts: OciMount[];
};

/** OciProcess is an OCI process (also the payload of a task exec). */
export interface OciProcess {
  terminal: boolean;
  user: { uid: number; gid: number };
  args: string[];
  env: string[];
  cwd: string;
  capabilities: Record<string, string[]>;
  noNewPrivileges: boolean;
  // The score stays 0: this host's root may not lower it, and runc fails on a negative one.
  oomScoreAdj: number;
}

interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

/**
 * defaultCapabilities are a pod process's capabilities: Docker's default set, which containerd's
 * CRI grants too.
 */
export const defaultCapabilities: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

const defaultMounts: OciMount[] = [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  {
    destination: '/dev',
    type: 'tmpfs',
    source: 'tmpfs',
    options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
  },
  {
    destination: '/dev/pts',
    type: 'devpts',
    source: 'devpts',
    options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
  },
  {
    destination: '/dev/shm',
    type: 'tmpfs',
    source: 'shm',
    options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
  },
  {
    destination: '/dev/mqueue',
    type: 'mqueue',
    source: 'mqueue',
    options: ['nosuid', 'noexec', 'nodev'],
  },
  {
    destination: '/sys',
    type: 'sysfs',
    source: 'sysfs',
    options: ['nosuid', 'noexec', 'nodev', 'ro'],
  },
  {
    destination: '/sys/fs/cgroup',
    type: 'cgroup',
    source: 'cgroup',
    options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
  },
];

const maskedPaths = [
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
];
const readonlyPaths = [
  '/proc/asound',
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

/** processSpec builds an OCI process from a command line, environment and working directory. */
export function processSpec(
  args: string[],
  env: string[],
  cwd: string,
  user = { uid: 0, gid: 0 },
): OciProcess {
  const caps = [...defaultCapabilities];
  return {
    terminal: false,
    user,
    args,
    env,
    cwd: cwd || '/',
    capabilities: { bounding: caps, effective: caps, permitted: caps },
    noNewPrivileges: false,
    oomScoreAdj: 0,
  };
}

/**
 * shimGroupAnnotation names the shim group of a task: the runc v2 shim serves every task whose
 * spec carries the same value from one shim process, so a pod's containers join the shim its
 * infra task started instead of each starting their own.
 */
export const shimGroupAnnotation = 'io.containerd.runc.v2.group';

function baseSpec(
  process: OciProcess,
  hostname: string,
  cgroupsPath: string,
  sandboxId: string,
): OciSpec {
  return {
    ociVersion: '1.0.2',
    process,
    annotations: { [shimGroupAnnotation]: sandboxId },
    root: { path: 'rootfs', readonly: false },
    hostname,
    mounts: defaultMounts.map((m) => ({ ...m, options: [...m.options] })),
    linux: {
      namespaces: [],
      cgroupsPath,
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      maskedPaths,
      readonlyPaths,
    },
  };
}

/**
 * seccompSection is the spec's seccomp section for a CRI security context: none when it asks
 * for no profile (unconfined), skiff's runtime-default profile, or the named profile file
 * converted for this machine's architecture, the process's capabilities and the running kernel.
 */
export function seccompSection(
  context: Parameters<typeof seccompChoice>[0],
  capabilities: readonly string[],
): OciSeccomp | undefined {
  const choice = seccompChoice(context);
  if (choice.kind === 'unconfined') return undefined;
  if (choice.kind === 'runtime-default') return runtimeDefaultSeccomp();
  return ociSeccomp(readSeccompProfile(choice.path).profile, capabilities, release());
}

/** SandboxPaths are the host files a pod shares with all its containers. */
export interface SandboxPaths {
  netns: string;
  hostname: string;
  resolvConf: string;
  hostnameFile: string;
}

/** sandboxSpec is the infra task's spec: the pause process owning the pod's namespaces. */
export function sandboxSpec(
  id: string,
  image: ImageConfig,
  paths: SandboxPaths,
  seccomp?: OciSeccomp,
): OciSpec {
  const c = image.config ?? {};
  const args = [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
  const spec = baseSpec(
    processSpec(args.length ? args : ['/pause'], c.Env ?? [defaultPath], c.WorkingDir ?? '/'),
    paths.hostname,
    `/skiff/${id}`,
    id,
  );
  spec.linux.namespaces = [
    { type: 'pid' },
    { type: 'ipc' },
    { type: 'uts' },
    { type: 'mount' },
    { type: 'network', path: paths.netns },
  ];
  if (seccomp) spec.linux.seccomp = seccomp;
  spec.mounts.push(
    {
      destination: '/etc/resolv.conf',
      type: 'bind',
      source: paths.resolvConf,
      options: ['rbind', 'ro'],
    },
    {
      destination: '/etc/hostname',
      type: 'bind',
      source: paths.hostnameFile,
      options: ['rbind', 'ro'],
    },
  );
  return spec;
}

/** splitUser reads a numeric `uid[:gid]` user; a name resolves to root (no passwd lookup). */
function numericUser(config: ContainerConfig, image: ImageConfig): { uid: number; gid: number } {
  const sc = config.linux?.securityContext;
  if (sc?.runAsUser) {
    return {
      uid: Number(sc.runAsUser.value),
      gid: sc.runAsGroup ? Number(sc.runAsGroup.value) : 0,
    };
  }
  const [u, g] = (image.config?.User ?? '').split(':');
  return { uid: /^\d+$/.test(u ?? '') ? Number(u) : 0, gid: /^\d+$/.test(g ?? '') ? Number(g) : 0 };
}

/**
 * containerSpec builds a container's OCI spec from the CRI request and its image: command
 * and args over entrypoint and cmd, env over the image's, mounts, the sandbox's network, IPC
 * and UTS namespaces joined through the infra process, and cgroup CPU and memory limits.
 */
export function containerSpec(
  id: string,
  sandboxId: string,
  infraPid: number,
  config: ContainerConfig,
  image: ImageConfig,
  paths: SandboxPaths,
): OciSpec {
  const c = image.config ?? {};
  const entry = config.command.length ? config.command : (c.Entrypoint ?? []);
  const args =
    config.command.length || config.args.length
      ? [
          ...entry,
          ...(config.args.length ? config.args : config.command.length ? [] : (c.Cmd ?? [])),
        ]
      : [...entry, ...(c.Cmd ?? [])];
  const env = new Map<string, string>();
  for (const e of c.Env ?? [defaultPath]) env.set(e.split('=')[0] ?? e, e);
  for (const kv of config.envs) env.set(kv.key, `${kv.key}=${kv.value}`);
  const proc = processSpec(
    args,
    [...env.values()],
    config.workingDir || c.WorkingDir || '/',
    numericUser(config, image),
  );
  const spec = baseSpec(proc, paths.hostname, `/skiff/${sandboxId}/${id}`, sandboxId);
  spec.linux.namespaces = [
    { type: 'pid' },
    { type: 'mount' },
    { type: 'network', path: `/proc/${infraPid}/ns/net` },
    { type: 'ipc', path: `/proc/${infraPid}/ns/ipc` },
    { type: 'uts', path: `/proc/${infraPid}/ns/uts` },
  ];
  spec.mounts.push(
    {
      destination: '/etc/resolv.conf',
      type: 'bind',
      source: paths.resolvConf,
      options: ['rbind', 'ro'],
    },
    {
      destination: '/etc/hostname',
      type: 'bind',
      source: paths.hostnameFile,
      options: ['rbind', 'ro'],
    },
  );
  for (const m of config.mounts) {
    spec.mounts.push({
      destination: m.containerPath,
      type: 'bind',
      source: m.hostPath,
      options: ['rbind', m.readonly ? 'ro' : 'rw'],
    });
  }
  Object.assign(spec.linux.resources as object, linuxResources(config.linux?.resources));
  const seccomp = config.linux?.securityContext?.privileged
    ? undefined
    : seccompSection(config.linux?.securityContext, proc.capabilities.bounding ?? []);
  if (seccomp) spec.linux.seccomp = seccomp;
  if (config.linux?.securityContext?.readonlyRootfs)
    (spec.root as { readonly: boolean }).readonly = true;
  return spec;
}

type CriResources = NonNullable<NonNullable<ContainerConfig['linux']>['resources']>;

/** linuxResources turns CRI resources into the OCI memory and CPU limits (absent ones omitted). */
export function linuxResources(r: CriResources | null | undefined): {
  memory?: { limit: number };
  cpu?: Record<string, number>;
} {
  if (!r) return {};
  const out: { memory?: { limit: number }; cpu?: Record<string, number> } = {};
  const limit = Number(r.memoryLimitInBytes ?? 0);
  if (limit > 0) out.memory = { limit };
  const cpu: Record<string, number> = {};
  if (Number(r.cpuShares) > 0) cpu.shares = Number(r.cpuShares);
  if (Number(r.cpuQuota) > 0) cpu.quota = Number(r.cpuQuota);
  if (Number(r.cpuPeriod) > 0) cpu.period = Number(r.cpuPeriod);
  if (Object.keys(cpu).length) out.cpu = cpu;
  return out;
}

/** runcOptions encodes runc's shim options (containerd.runc.v1.Options) with only `root` set. */
export function runcOptions(root: string): AnyMessage {
  const value = Buffer.from(root);
  // Field 7, wire type 2 (length-delimited), then a varint length.
  const len: number[] = [];
  let n = value.length;
  while (n > 0x7f) {
    len.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  len.push(n);
  return {
    type_url: 'containerd.runc.v1.Options',
    value: Buffer.concat([Buffer.from([(7 << 3) | 2, ...len]), value]),
  };
}
