import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { findBusybox } from '../../../sdk/runtime/base-images.ts';
import { type CpioEntry, writeCpio } from './cpio.ts';
import { initScript } from './init-script.ts';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));

/** agentSources are the C files of the guest agent, compiled together. */
export const agentSources = ['agent.c', 'cgroup.c', 'fields.c', 'process.c', 'rootfs.c'] as const;
const agentHeaders = ['agent.h'] as const;

/** guestModules are the kernel modules a microvm guest needs, loaded with their dependencies. */
export const guestModules = [
  'virtio_mmio',
  'virtio_console',
  'virtio_net',
  'fuse',
  'virtiofs',
  'overlay',
] as const;

/** GuestImageOptions choose the kernel and where built artefacts are cached. */
export interface GuestImageOptions {
  /** cacheDir holds the compiled agent and the initramfs, named by content hash. */
  cacheDir: string;
  /** kernel is a vmlinuz path; default: the newest /boot/vmlinuz-*-cloud-amd64. */
  kernel?: string;
  /** modulesDir is the kernel's module tree; default /lib/modules/<version of kernel>. */
  modulesDir?: string;
  /** busybox is a static busybox; default: the host's busybox-static. */
  busybox?: string;
}

/** GuestImage is a kernel and a matching initramfs, ready for qemu's -kernel and -initrd. */
export interface GuestImage {
  kernel: string;
  kernelVersion: string;
  initrd: string;
}

/** defaultKernel is the newest Debian cloud kernel in /boot, or an error naming the package. */
export function defaultKernel(bootDir = '/boot'): string {
  const kernels = existsSync(bootDir)
    ? readdirSync(bootDir)
        .filter((f) => /^vmlinuz-.+-cloud-amd64$/.test(f))
        .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }))
    : [];
  const newest = kernels[0];
  if (!newest) {
    throw new Error(
      `no cloud kernel in ${bootDir} (vmlinuz-*-cloud-amd64): install the Debian package linux-image-cloud-amd64, or configure a kernel`,
    );
  }
  return join(bootDir, newest);
}

/** kernelVersionOf reads the release from a vmlinuz-<release> file name. */
export function kernelVersionOf(kernel: string): string {
  const m = /vmlinuz-(.+)$/.exec(kernel);
  if (!m?.[1])
    throw new Error(`cannot tell the kernel release from ${kernel}: name it vmlinuz-<release>`);
  return m[1];
}

/**
 * moduleLoadOrder resolves modules.dep (lines `path: dep dep ...`) into the paths to insmod,
 * every module after its dependencies, each once.
 */
export function moduleLoadOrder(modulesDep: string, wanted: readonly string[]): string[] {
  const deps = new Map<string, string[]>();
  const byName = new Map<string, string>();
  for (const line of modulesDep.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const path = line.slice(0, colon).trim();
    deps.set(
      path,
      line
        .slice(colon + 1)
        .trim()
        .split(/\s+/)
        .filter(Boolean),
    );
    byName.set(moduleName(path), path);
  }
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (path: string, chain: string[]) => {
    if (seen.has(path)) return;
    if (chain.includes(path))
      throw new Error(`modules.dep has a cycle: ${[...chain, path].join(' -> ')}`);
    for (const d of deps.get(path) ?? []) visit(d, [...chain, path]);
    seen.add(path);
    order.push(path);
  };
  for (const name of wanted) {
    const path = byName.get(name.replaceAll('-', '_'));
    if (!path) throw new Error(`kernel module ${name} is not in modules.dep`);
    visit(path, []);
  }
  return order;
}

function moduleName(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.replace(/\.ko(\.(xz|zst|gz))?$/, '').replaceAll('-', '_');
}

/** readModule returns a module's bytes uncompressed (busybox insmod takes plain .ko only). */
async function readModule(path: string): Promise<Buffer> {
  if (path.endsWith('.ko')) return readFileSync(path);
  if (path.endsWith('.ko.gz')) return gunzipSync(readFileSync(path));
  const tool = path.endsWith('.ko.xz') ? 'xz' : path.endsWith('.ko.zst') ? 'zstd' : undefined;
  if (!tool) throw new Error(`unknown kernel module format: ${path}`);
  try {
    const { stdout } = await run(tool, ['-dc', path], { encoding: 'buffer', maxBuffer: 1 << 28 });
    return stdout;
  } catch (err) {
    throw new Error(
      `cannot decompress ${path} with ${tool} (Debian package ${tool === 'xz' ? 'xz-utils' : 'zstd'}): ${(err as Error).message}`,
    );
  }
}

const sha256 = (...parts: (Buffer | string)[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

function writeAtomically(path: string, data: Buffer, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}

/**
 * buildAgent compiles the guest agent with `gcc -static -O2` into the cache (once per source
 * hash) and returns the binary's path; a missing compiler is named with its Debian package.
 */
export function buildAgent(cacheDir: string): Promise<string> {
  const files = [...agentSources, ...agentHeaders].map((f) => readFileSync(join(here, f)));
  const out = join(cacheDir, `skiff-agent-${sha256(...files).slice(0, 16)}`);
  // Sandboxes started together share one compile rather than racing on the same file.
  let build = agentBuilds.get(out);
  if (!build) {
    build = compileAgent(out).finally(() => agentBuilds.delete(out));
    agentBuilds.set(out, build);
  }
  return build;
}

const agentBuilds = new Map<string, Promise<string>>();

async function compileAgent(out: string): Promise<string> {
  if (existsSync(out)) return out;
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const sources = agentSources.map((f) => join(here, f));
  try {
    await run('gcc', ['-static', '-O2', '-Wall', '-Wextra', '-o', tmp, ...sources]);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error(
        'gcc is missing: the micro-VM runtime compiles its guest agent; install the Debian package build-essential',
      );
    }
    throw new Error(`compiling the guest agent failed:\n${e.stderr ?? e.message}`);
  }
  renameSync(tmp, out);
  return out;
}

/**
 * buildInitramfs returns the kernel and a gzip'd newc initramfs holding busybox with its
 * applet links, the virtio/virtiofs/overlay modules of that kernel, /init and the agent. It
 * is cached under cacheDir by the hash of everything that goes in, so it is built once.
 */
export async function buildInitramfs(opts: GuestImageOptions): Promise<GuestImage> {
  const kernel = opts.kernel ?? defaultKernel();
  if (!existsSync(kernel)) throw new Error(`guest kernel ${kernel} does not exist`);
  const kernelVersion = kernelVersionOf(kernel);
  const modulesDir = opts.modulesDir ?? join('/lib/modules', kernelVersion);
  const depFile = join(modulesDir, 'modules.dep');
  if (!existsSync(depFile)) {
    throw new Error(`no ${depFile}: the modules of kernel ${kernelVersion} are not installed`);
  }
  const order = moduleLoadOrder(readFileSync(depFile, 'utf8'), guestModules);
  const agent = await buildAgent(opts.cacheDir);
  const busybox = opts.busybox ?? findBusybox();
  const busyboxBytes = readFileSync(busybox);
  const agentBytes = readFileSync(agent);
  const modules = await Promise.all(order.map((m) => readModule(join(modulesDir, m))));
  const plainNames = order.map((m) => m.replace(/\.ko\.(xz|zst|gz)$/, '.ko'));
  const script = initScript(plainNames);
  const key = sha256(kernelVersion, busyboxBytes, agentBytes, script, ...modules).slice(0, 16);
  const initrd = join(opts.cacheDir, `initramfs-${kernelVersion}-${key}.cpio.gz`);
  if (existsSync(initrd)) return { kernel, kernelVersion, initrd };

  const entries: CpioEntry[] = [];
  const dirs = new Set<string>();
  const addDir = (path: string) => {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i += 1) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        entries.push({ type: 'dir', path: d });
      }
    }
  };
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'run', 'tmp'])
    addDir(d);
  entries.push({ type: 'char', path: 'dev/console', major: 5, minor: 1 });
  entries.push({ type: 'file', path: 'bin/busybox', data: busyboxBytes, mode: 0o755 });
  const { stdout } = await run(busybox, ['--list-full']);
  for (const applet of stdout.split('\n').map((l) => l.trim())) {
    if (!applet || applet === 'bin/busybox' || applet === 'linuxrc') continue;
    addDir(dirname(applet));
    entries.push({ type: 'symlink', path: applet, target: '/bin/busybox' });
  }
  entries.push({ type: 'file', path: 'sbin/skiff-agent', data: agentBytes, mode: 0o755 });
  plainNames.forEach((name, i) => {
    const path = `lib/modules/${name}`;
    addDir(dirname(path));
    entries.push({ type: 'file', path, data: modules[i] as Buffer });
  });
  entries.push({ type: 'file', path: 'init', data: Buffer.from(script), mode: 0o755 });
  mkdirSync(opts.cacheDir, { recursive: true });
  writeAtomically(initrd, gzipSync(writeCpio(entries)));
  return { kernel, kernelVersion, initrd };
}

/** GuestBootOptions are the guest settings passed on the kernel command line. */
export interface GuestBootOptions {
  hostname?: string;
  /** ip is eth0's IPv4 address with its prefix length (`10.88.0.5/16`). */
  ip?: string;
  gateway?: string;
  /** shareTag is the virtiofs tag of the shared directory (default `skiff`). */
  shareTag?: string;
  /** portName is the virtserialport name of the agent's channel (default org.skiff.agent). */
  portName?: string;
  /** verbose keeps the kernel's boot messages on the console. */
  verbose?: boolean;
}

const safeValue = /^[A-Za-z0-9_.:/-]+$/;

/** kernelCommandLine writes the kernel command line a skiff guest boots with. */
export function kernelCommandLine(opts: GuestBootOptions = {}): string {
  // tsc_early_khz: without it early timer calibration often hangs under TCG. cryptomgr.notests:
  // the crypto self-tests were the longest step of a TCG boot (about 0.7 s of ~2.5 s).
  const args = ['console=ttyS0', 'tsc_early_khz=2600000', 'cryptomgr.notests', 'panic=-1'];
  if (!opts.verbose) args.push('quiet');
  const keys: [string, string | undefined][] = [
    ['skiff.hostname', opts.hostname],
    ['skiff.ip', opts.ip],
    ['skiff.gw', opts.gateway],
    ['skiff.share', opts.shareTag],
    ['skiff.port', opts.portName],
  ];
  for (const [key, value] of keys) {
    if (value === undefined) continue;
    if (!safeValue.test(value))
      throw new Error(
        `${key} ${JSON.stringify(value)} holds characters a kernel command line cannot carry`,
      );
    args.push(`${key}=${value}`);
  }
  return args.join(' ');
}
