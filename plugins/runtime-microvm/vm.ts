import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  isRunning,
  killProcesses,
  type ProcessRecord,
  recordProcess,
  signalProcess,
  waitGone,
} from './processes.ts';
import { QmpConnection } from './qmp.ts';

/** Accelerator is how qemu runs guest code: hardware virtualisation or software emulation. */
export type Accelerator = 'kvm' | 'tcg';

/** AcceleratorProbe is the probe's verdict and why. */
export interface AcceleratorProbe {
  accel: Accelerator;
  reason: string;
}

let probed: Promise<AcceleratorProbe> | undefined;

/**
 * probeAccelerator tells whether KVM works here, once per process: /dev/kvm must open for
 * reading and writing, and a paused microvm with the host CPU model must come up under KVM
 * (where nested virtualisation is broken qemu aborts within milliseconds, setting the vCPU's
 * registers). It never takes more than about a second.
 */
export function probeAccelerator(qemu = 'qemu-system-x86_64'): Promise<AcceleratorProbe> {
  probed ??= probeOnce(qemu);
  return probed;
}

async function probeOnce(qemu: string): Promise<AcceleratorProbe> {
  try {
    closeSync(openSync('/dev/kvm', constants.O_RDWR));
  } catch (err) {
    return { accel: 'tcg', reason: `/dev/kvm: ${(err as Error).message}` };
  }
  const child = spawn(
    qemu,
    ['-accel', 'kvm', '-cpu', 'host', '-M', 'microvm', '-m', '16', '-S']
      .concat(['-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'none'])
      .concat(['-monitor', 'none']),
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const outcome = await new Promise<{ exited: boolean; error?: string }>((resolve) => {
    const timer = setTimeout(() => resolve({ exited: false }), 1_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ exited: true, error: err.message });
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve({ exited: true });
    });
  });
  if (!outcome.exited) {
    child.kill('SIGKILL');
    return { accel: 'kvm', reason: 'a KVM microvm starts' };
  }
  const why = outcome.error ?? stderr.split('\n').find((l) => l.includes('error')) ?? stderr;
  return { accel: 'tcg', reason: `KVM does not run a VM here: ${why.trim().slice(0, 200)}` };
}

/** VmSize is a VM's vCPUs and memory. */
export interface VmSize {
  cpus: number;
  memoryMiB: number;
}

/** vmFloor is the smallest VM: one vCPU and 128 MiB, enough for the kernel and the agent. */
export const vmFloor: VmSize = { cpus: 1, memoryMiB: 128 };

/** ResourceLimits is the part of the CRI's LinuxContainerResources a VM is sized from. */
export interface ResourceLimits {
  cpuPeriod?: string | number;
  cpuQuota?: string | number;
  memoryLimitInBytes?: string | number;
}

/**
 * vmSize sizes a VM from its pod's limits: vCPUs are the CPU quota rounded up, memory the
 * limit in MiB rounded up plus the overhead, neither below the floor nor above the host.
 */
export function vmSize(
  limits: ResourceLimits[],
  host: VmSize,
  overheadMiB = 64,
  floor: VmSize = vmFloor,
): VmSize {
  let cpus = 0;
  let memory = 0;
  for (const l of limits) {
    const quota = Number(l.cpuQuota ?? 0);
    const period = Number(l.cpuPeriod ?? 0) || 100_000;
    if (quota > 0) cpus += quota / period;
    const bytes = Number(l.memoryLimitInBytes ?? 0);
    if (bytes > 0) memory += bytes / (1024 * 1024);
  }
  return {
    cpus: Math.min(host.cpus, Math.max(floor.cpus, Math.ceil(cpus - 1e-9))),
    memoryMiB: Math.min(
      host.memoryMiB,
      Math.max(floor.memoryMiB, memory > 0 ? Math.ceil(memory) + overheadMiB : 0),
    ),
  };
}

/** VmPaths are the files of one VM in its directory. */
export interface VmPaths {
  dir: string;
  /** share is the directory virtiofs exports to the guest (tag `skiff`). */
  share: string;
  console: string;
  channel: string;
  qmp: string;
  virtiofs: string;
  qemuLog: string;
  virtiofsdLog: string;
  processes: string;
}

/** vmPaths lays out a VM's directory. */
export function vmPaths(dir: string): VmPaths {
  return {
    dir,
    share: join(dir, 'share'),
    console: join(dir, 'console.log'),
    channel: join(dir, 'channel.sock'),
    qmp: join(dir, 'qmp.sock'),
    virtiofs: join(dir, 'virtiofs.sock'),
    qemuLog: join(dir, 'qemu.log'),
    virtiofsdLog: join(dir, 'virtiofsd.log'),
    processes: join(dir, 'processes.json'),
  };
}

/** VmSpec is everything one VM is launched from. */
export interface VmSpec {
  accel: Accelerator;
  size: VmSize;
  kernel: string;
  initrd: string;
  /** cmdline is the kernel command line (the guest's `kernelCommandLine()`). */
  cmdline: string;
  /** tap is the host tap device of the VM's network card, with the guest's MAC address. */
  tap?: { name: string; mac: string };
}

/**
 * tcgTranslationCacheMiB bounds software emulation's cache of translated code: qemu's own
 * default (up to 1 GiB) fills with resident memory over a VM's life.
 */
export const tcgTranslationCacheMiB = 64;

/** channelPortName is the virtio-serial port name the guest agent opens. */
export const channelPortName = 'org.skiff.agent';
/** shareTag is the virtiofs tag the guest mounts the share under. */
export const shareTag = 'skiff';

/**
 * qemuArgs is the qemu command line of a VM: a microvm with ACPI (so poweroff ends qemu),
 * the kernel and initramfs, a serial console to a file, virtio-serial for the agent, virtiofs
 * over shared memfd memory, an optional tap network card, and QMP.
 */
export function qemuArgs(spec: VmSpec, paths: VmPaths): string[] {
  const mem = `${spec.size.memoryMiB}M`;
  const args = [
    ['-M', 'microvm,acpi=on'],
    ['-accel', spec.accel === 'tcg' ? `tcg,tb-size=${tcgTranslationCacheMiB}` : 'kvm'],
    ['-cpu', spec.accel === 'kvm' ? 'host' : 'max'],
    ['-smp', String(spec.size.cpus)],
    ['-m', mem],
    ['-nodefaults', '-no-user-config', '-nographic', '-no-reboot'],
    ['-serial', `file:${paths.console}`],
    ['-monitor', 'none'],
    ['-kernel', spec.kernel],
    ['-initrd', spec.initrd],
    ['-append', spec.cmdline],
    ['-global', 'virtio-mmio.force-legacy=false'],
    ['-object', `memory-backend-memfd,id=mem,size=${mem},share=on`],
    ['-numa', 'node,memdev=mem'],
    ['-chardev', `socket,id=fs,path=${paths.virtiofs}`],
    ['-device', `vhost-user-fs-device,chardev=fs,tag=${shareTag}`],
    ['-device', 'virtio-serial-device'],
    ['-chardev', `socket,id=agent,path=${paths.channel},server=on,wait=off`],
    ['-device', `virtserialport,chardev=agent,name=${channelPortName}`],
    ['-qmp', `unix:${paths.qmp},server=on,wait=off`],
  ].flat();
  if (spec.tap) {
    args.push(
      '-netdev',
      `tap,id=net0,ifname=${spec.tap.name},script=no,downscript=no`,
      '-device',
      `virtio-net-device,netdev=net0,mac=${spec.tap.mac}`,
    );
  }
  return args;
}

/** virtiofsdArgs is the virtiofsd command line that exports a VM's share directory. */
export function virtiofsdArgs(paths: VmPaths): string[] {
  // chroot rather than namespaces: the adapter may itself run in a container.
  return [
    `--socket-path=${paths.virtiofs}`,
    '-o',
    `source=${paths.share}`,
    '-o',
    'cache=auto',
    '-o',
    'sandbox=chroot',
    '-o',
    'xattr',
  ];
}

/** VmBinaries are the programs a VM needs. */
export interface VmBinaries {
  qemu: string;
  virtiofsd: string;
}

/** defaultBinaries are Debian's paths. */
export const defaultBinaries: VmBinaries = {
  qemu: 'qemu-system-x86_64',
  virtiofsd: '/usr/lib/qemu/virtiofsd',
};

/** Vm is a launched VM: its processes and QMP connection. */
export interface Vm {
  readonly paths: VmPaths;
  readonly processes: ProcessRecord[];
  /** exited resolves when qemu ends (the guest powered off, or qemu was killed). */
  readonly exited: Promise<void>;
}

function startProcess(command: string, args: string[], log: string): ChildProcess {
  const fd = openSync(log, 'a');
  try {
    // Same process group as the adapter: stopping the adapter's group stops its VMs too.
    return spawn(command, args, { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-5).join(' | ');
  } catch {
    return '';
  }
}

async function waitFor(
  check: () => boolean,
  timeoutMs: number,
  child: ChildProcess,
  what: string,
  log: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${what} exited (${child.exitCode ?? child.signalCode}): ${tail(log)} (log ${log})`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} not ready in ${timeoutMs} ms: ${tail(log)} (log ${log})`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * launchVm starts virtiofsd on the VM's share, then qemu, records both (pid and start time)
 * in the VM's processes.json for crash recovery, and returns once qemu's sockets exist. On
 * failure everything started is killed again.
 */
export async function launchVm(
  spec: VmSpec,
  paths: VmPaths,
  binaries: VmBinaries = defaultBinaries,
): Promise<Vm> {
  for (const [what, file] of [
    ['kernel', spec.kernel],
    ['initramfs', spec.initrd],
  ] as const) {
    if (!existsSync(file)) throw new Error(`the guest ${what} ${file} does not exist`);
  }
  if (Buffer.byteLength(paths.virtiofs) > 107) {
    throw new Error(
      `the VM directory ${paths.dir} is too deep for unix sockets: use a shorter root`,
    );
  }
  mkdirSync(paths.share, { recursive: true });
  const records: ProcessRecord[] = [];
  const save = () => writeFileSync(paths.processes, JSON.stringify(records));
  try {
    const fsd = startProcess(binaries.virtiofsd, virtiofsdArgs(paths), paths.virtiofsdLog);
    await new Promise<void>((resolve, reject) => {
      fsd.once('spawn', resolve);
      fsd.once('error', (err) =>
        reject(new Error(`cannot start ${binaries.virtiofsd}: ${err.message}`)),
      );
    });
    records.push(recordProcess('virtiofsd', fsd.pid!));
    save();
    await waitFor(() => existsSync(paths.virtiofs), 5_000, fsd, 'virtiofsd', paths.virtiofsdLog);
    const qemu = startProcess(binaries.qemu, qemuArgs(spec, paths), paths.qemuLog);
    await new Promise<void>((resolve, reject) => {
      qemu.once('spawn', resolve);
      qemu.once('error', (err) =>
        reject(new Error(`cannot start ${binaries.qemu}: ${err.message}`)),
      );
    });
    records.push(recordProcess('qemu', qemu.pid!));
    save();
    const exited = new Promise<void>((resolve) => {
      if (qemu.exitCode !== null || qemu.signalCode !== null) resolve();
      else qemu.once('exit', () => resolve());
    });
    await waitFor(
      () => existsSync(paths.qmp) && existsSync(paths.channel),
      10_000,
      qemu,
      'qemu',
      paths.qemuLog,
    );
    // The sockets come up before qemu loads the kernel: only QMP answering proves it runs.
    const qmp = await QmpConnection.connect(paths.qmp, 5_000).catch((err: Error) => {
      throw new Error(`qemu does not answer QMP (${err.message}); see ${paths.qemuLog}`);
    });
    qmp.close();
    return { paths, processes: records, exited };
  } catch (err) {
    await killProcesses(records);
    throw err;
  }
}

/**
 * stopVm powers a VM down: an ACPI power button press through QMP, up to graceMs for the
 * guest to power off, then QMP quit, then SIGKILL; virtiofsd goes with qemu (killed if it
 * lingers). Stopping a VM that is gone succeeds.
 */
export async function stopVm(
  processes: ProcessRecord[],
  paths: VmPaths,
  graceMs: number,
): Promise<void> {
  const qemu = processes.filter((p) => p.role === 'qemu');
  if (qemu.some(isRunning)) {
    let qmp: QmpConnection | undefined;
    try {
      qmp = await QmpConnection.connect(paths.qmp, 2_000);
      if (graceMs > 0) {
        await qmp.execute('system_powerdown');
        await waitGone(qemu, graceMs);
      }
      if (qemu.some(isRunning)) await qmp.execute('quit').catch(() => {});
      await waitGone(qemu, 2_000);
    } catch {
      // QMP is unreachable or closed under us: the kill below settles it.
    } finally {
      qmp?.close();
    }
  }
  for (const p of qemu) signalProcess(p, 'SIGKILL');
  await waitGone(qemu, 5_000);
  const fsd = processes.filter((p) => p.role === 'virtiofsd');
  // virtiofsd ends by itself once qemu closes its socket.
  if (!(await waitGone(fsd, 1_000))) await killProcesses(fsd);
}
