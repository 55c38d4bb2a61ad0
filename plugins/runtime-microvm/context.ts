import { join } from 'node:path';
import { SkiffError } from '../../sdk/errors.ts';
import type { Logger } from '../../sdk/plugin.ts';
import type { RegistryMirrors } from '../../sdk/runtime/registry-pull.ts';
import type { GuestChannel, ProcessExit } from './channel.ts';
import type { CriLogFile } from './cri-log.ts';
import type { ImageStore } from './images.ts';
import type { VmNetwork } from './network.ts';
import type { ContainerRecord, RecordStore, SandboxRecord } from './state.ts';
import type { AcceleratorProbe, Vm, VmBinaries, VmSize } from './vm.ts';

/** MicroVmOptions configure the micro-VM adapter. */
export interface MicroVmOptions {
  /** root holds the adapter's records, images and VM directories. */
  root: string;
  /** kernel and initrd boot every guest; initrd '' means the guest image part 1 builds. */
  kernel: string;
  initrd: string;
  binaries: VmBinaries;
  bridge: string;
  subnet: string;
  masquerade: boolean;
  /** memoryOverheadMiB is added to a pod's memory limit for the guest kernel and agent. */
  memoryOverheadMiB: number;
  /** bootTimeoutSeconds bounds the wait for the guest agent's first answer. */
  bootTimeoutSeconds: number;
  /** vmGraceSeconds is how long a stopping VM may take to power off before it is killed. */
  vmGraceSeconds: number;
  /** registryMirrors are tried, in order, before an image's own registry on a pull. */
  registryMirrors: RegistryMirrors;
}

/** GuestBoot is what boots a guest: kernel, initramfs and the command line they understand. */
export interface GuestBoot {
  kernel: string;
  initrd: string;
  cmdline(settings: { hostname: string; ip: string; gateway: string }): string;
}

/** LiveVm is a running sandbox's VM, its agent connection and its containers' log files. */
export interface LiveVm {
  vm: Vm;
  channel: GuestChannel;
  logs: Map<string, CriLogFile>;
  /** exits resolve when a container's main process ends (keyed by container id). */
  exits: Map<string, { done: Promise<ProcessExit>; resolve: (e: ProcessExit) => void }>;
  stopping: boolean;
}

/** RuntimeContext is what every rpc of the adapter works with. */
export interface RuntimeContext {
  options: MicroVmOptions;
  records: RecordStore;
  images: ImageStore;
  network: VmNetwork;
  accel: AcceleratorProbe;
  host: VmSize;
  /** guestImage resolves the kernel and initramfs to boot and writes their command line. */
  guestImage: () => Promise<GuestBoot>;
  live: Map<string, LiveVm>;
  logger: Logger | undefined;
}

/** shareDir is the directory a sandbox's VM sees over virtiofs. */
export function shareDir(ctx: RuntimeContext, sandboxId: string): string {
  return join(ctx.records.vmDir(sandboxId), 'share');
}

/** sandboxOf finds a sandbox record or fails with NotFound. */
export function sandboxOf(ctx: RuntimeContext, id: string): SandboxRecord {
  const s = ctx.records.sandboxes.get(id);
  if (!s) throw new SkiffError('NotFound', `pod sandbox ${JSON.stringify(id)} not found`);
  return s;
}

/** containerOf finds a container record or fails with NotFound. */
export function containerOf(ctx: RuntimeContext, id: string): ContainerRecord {
  const c = ctx.records.containers.get(id);
  if (!c) throw new SkiffError('NotFound', `container ${JSON.stringify(id)} not found`);
  return c;
}
