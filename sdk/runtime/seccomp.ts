import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { SkiffError } from '../errors.ts';
import type { SecurityProfile__Output } from './generated/runtime/v1/SecurityProfile.ts';

/**
 * SeccompChoice is the seccomp profile a sandbox or container asked for: none at all, the
 * runtime's own default, or a profile file on the node.
 */
export type SeccompChoice =
  | { kind: 'unconfined' }
  | { kind: 'runtime-default' }
  | { kind: 'localhost'; path: string };

/**
 * seccompChoice reads a CRI security context's seccomp field, falling back to the deprecated
 * seccomp_profile_path string ("runtime/default", "docker/default", "unconfined",
 * "localhost/<path>"). A context that names no profile runs unconfined, as the CRI defines it
 * (the kubelet asks for RuntimeDefault explicitly when it wants it).
 */
export function seccompChoice(
  context:
    | { seccomp?: SecurityProfile__Output | null; seccompProfilePath?: string }
    | null
    | undefined,
): SeccompChoice {
  const profile = context?.seccomp;
  if (profile) {
    switch (profile.profileType) {
      case 'RuntimeDefault':
        return { kind: 'runtime-default' };
      case 'Localhost':
        return { kind: 'localhost', path: checkedProfilePath(profile.localhostRef) };
      default:
        return { kind: 'unconfined' };
    }
  }
  const legacy = context?.seccompProfilePath ?? '';
  if (legacy === '' || legacy === 'unconfined') return { kind: 'unconfined' };
  if (legacy === 'runtime/default' || legacy === 'docker/default')
    return { kind: 'runtime-default' };
  if (legacy.startsWith('localhost/'))
    return { kind: 'localhost', path: checkedProfilePath(legacy.slice('localhost/'.length)) };
  throw new SkiffError('Invalid', `seccomp profile ${JSON.stringify(legacy)} is not known`);
}

function checkedProfilePath(path: string): string {
  if (!isAbsolute(path)) {
    throw new SkiffError(
      'Invalid',
      `a localhost seccomp profile needs an absolute path, not ${JSON.stringify(path)}`,
    );
  }
  return path;
}

/** SeccompSyscallRule is one rule of a profile, in the field names both formats share. */
export interface SeccompSyscallRule {
  names?: string[];
  name?: string;
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo?: number; op: string }[];
  includes?: { caps?: string[]; arches?: string[]; minKernel?: string };
  excludes?: { caps?: string[]; arches?: string[]; minKernel?: string };
}

/**
 * SeccompProfileFile is a seccomp profile file as Docker, containerd's CRI and the Kubernetes
 * tooling write it: the OCI fields plus archMap and conditional rules.
 */
export interface SeccompProfileFile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures?: string[] }[];
  flags?: string[];
  syscalls?: SeccompSyscallRule[];
}

/** OciSeccomp is the linux.seccomp section of an OCI runtime spec. */
export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  syscalls: {
    names: string[];
    action: string;
    errnoRet?: number;
    args?: { index: number; value: number; valueTwo?: number; op: string }[];
  }[];
}

/** readSeccompProfile reads and parses a profile file; a missing or unreadable one is Invalid. */
export function readSeccompProfile(path: string): { text: string; profile: SeccompProfileFile } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SkiffError(
      'Invalid',
      `cannot load seccomp profile ${path}: ${(err as Error).message}`,
    );
  }
  let profile: SeccompProfileFile;
  try {
    profile = JSON.parse(text) as SeccompProfileFile;
  } catch (err) {
    throw new SkiffError(
      'Invalid',
      `seccomp profile ${path} is not JSON: ${(err as Error).message}`,
    );
  }
  if (typeof profile?.defaultAction !== 'string' || !profile.defaultAction) {
    throw new SkiffError('Invalid', `seccomp profile ${path} has no defaultAction`);
  }
  return { text, profile };
}

// The scmp names of this machine's architecture and the Go name conditional rules use for it.
const nativeArch = { amd64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64' } as const;
function goArch(): 'amd64' | 'arm64' {
  return process.arch === 'arm64' ? 'arm64' : 'amd64';
}

function kernelAtLeast(release: string, min: string): boolean {
  const num = (v: string) => v.split(/[.-]/).slice(0, 2).map(Number);
  const [a = 0, b = 0] = num(release);
  const [c = 0, d = 0] = num(min);
  return a > c || (a === c && b >= d);
}

/**
 * ociSeccomp turns a profile file into the spec's seccomp section for a process with the given
 * capabilities on a kernel of the given release: the native architecture's archMap entry
 * becomes the architectures list, and rules whose includes (capabilities, architectures,
 * minimum kernel) do not hold, or whose excludes do, are dropped.
 */
export function ociSeccomp(
  file: SeccompProfileFile,
  capabilities: readonly string[],
  kernelRelease: string,
): OciSeccomp {
  const arch = goArch();
  const mapped = file.archMap?.find((m) => m.architecture === nativeArch[arch]);
  const architectures = mapped
    ? [mapped.architecture, ...(mapped.subArchitectures ?? [])]
    : file.architectures;
  const caps = new Set(capabilities);
  const holds = (c: SeccompSyscallRule['includes']) =>
    (c?.caps ?? []).every((x) => caps.has(x)) &&
    (c?.arches === undefined || c.arches.length === 0 || c.arches.includes(arch)) &&
    (c?.minKernel === undefined || kernelAtLeast(kernelRelease, c.minKernel));
  const excluded = (c: SeccompSyscallRule['excludes']) =>
    (c?.caps ?? []).some((x) => caps.has(x)) || (c?.arches ?? []).includes(arch);
  const syscalls = (file.syscalls ?? [])
    .filter((r) => holds(r.includes) && !excluded(r.excludes))
    .map((r) => ({
      names: r.names ?? (r.name ? [r.name] : []),
      action: r.action,
      ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
      ...(r.args?.length ? { args: r.args } : {}),
    }))
    .filter((r) => r.names.length > 0);
  return {
    defaultAction: file.defaultAction,
    ...(file.defaultErrnoRet !== undefined ? { defaultErrnoRet: file.defaultErrnoRet } : {}),
    ...(architectures?.length ? { architectures } : {}),
    ...(file.flags?.length ? { flags: file.flags } : {}),
    syscalls,
  };
}

/**
 * blockedByDefault are the system calls skiff's runtime-default profile refuses (EPERM): loading
 * kernel code, rebooting, changing the clock, the kernel keyring, raw I/O ports, mounting and
 * namespace changes, process memory access across processes, BPF and perf events, and a few
 * obsolete calls. Everything else is allowed: the list blocks what no ordinary workload needs
 * and what unprivileged containers should never reach.
 */
export const blockedByDefault: readonly string[] = [
  'acct',
  'add_key',
  'bpf',
  'clock_adjtime',
  'clock_settime',
  'create_module',
  'delete_module',
  'finit_module',
  'fsconfig',
  'fsmount',
  'fsopen',
  'fspick',
  'get_kernel_syms',
  'init_module',
  'ioperm',
  'iopl',
  'kcmp',
  'kexec_file_load',
  'kexec_load',
  'keyctl',
  'lookup_dcookie',
  'mount',
  'move_mount',
  'move_pages',
  'name_to_handle_at',
  'nfsservctl',
  'open_by_handle_at',
  'open_tree',
  'perf_event_open',
  'pivot_root',
  'process_vm_readv',
  'process_vm_writev',
  'query_module',
  'quotactl',
  'reboot',
  'request_key',
  'setns',
  'settimeofday',
  'swapoff',
  'swapon',
  'sysfs',
  '_sysctl',
  'umount2',
  'unshare',
  'uselib',
  'userfaultfd',
  'ustat',
];

/** runtimeDefaultSeccomp is the OCI seccomp section of skiff's runtime-default profile. */
export function runtimeDefaultSeccomp(): OciSeccomp {
  const arch = goArch();
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures:
      arch === 'amd64'
        ? ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']
        : ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
    syscalls: [{ names: [...blockedByDefault], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
  };
}
