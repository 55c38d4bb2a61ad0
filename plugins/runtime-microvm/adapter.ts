import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { SkiffError } from '../../sdk/errors.ts';
import type { Logger } from '../../sdk/plugin.ts';
import type { RuntimeAdapter, RuntimeCapabilities } from '../../sdk/runtime/adapter.ts';
import type { ImageImporter } from '../../sdk/runtime/image-import.ts';
import { parseRegistryMirrors } from '../../sdk/runtime/registry-pull.ts';
import type { RpcRequestReceived, RpcResponse, UnaryRpc } from '../../sdk/runtime/rpcs.ts';
import { type StreamingServer, startStreamingServer } from '../../sdk/runtime/streaming.ts';
import * as containers from './containers.ts';
import { type GuestBoot, type MicroVmOptions, type RuntimeContext, sandboxOf } from './context.ts';
import { buildInitramfs, kernelCommandLine } from './guest/initramfs.ts';
import { checkedRef, ImageStore } from './images.ts';
import { VmNetwork } from './network.ts';
import * as sandboxes from './sandboxes.ts';
import { nowNanos, RecordStore } from './state.ts';
import * as stats from './stats.ts';
import { microVmStreams } from './streams.ts';
import { defaultBinaries, probeAccelerator } from './vm.ts';

/** defaultMicroVmOptions are used for every option the configuration leaves out. */
export const defaultMicroVmOptions: MicroVmOptions = {
  root: '/var/lib/skiff/microvm',
  kernel: '',
  initrd: '',
  binaries: defaultBinaries,
  bridge: 'skiffvm0',
  // Clear of the CRI harness's 10.88.100-249.0/24, containerd's 10.89/16 and Docker's 10.200-252.
  subnet: '10.90.0.0/18',
  masquerade: true,
  memoryOverheadMiB: 64,
  bootTimeoutSeconds: 60,
  vmGraceSeconds: 5,
  registryMirrors: {},
};

/** microVmOptions reads the adapter options from plugin config, filling in the defaults. */
export function microVmOptions(config: Readonly<Record<string, unknown>>): MicroVmOptions {
  const d = defaultMicroVmOptions;
  const str = (key: string, fallback: string): string => {
    const v = config[key];
    if (v === undefined || v === '') return fallback;
    if (typeof v !== 'string') throw new Error(`runtime-microvm: option ${key} must be a string`);
    return v;
  };
  const num = (key: string, fallback: number): number => {
    const v = config[key];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) {
      throw new Error(`runtime-microvm: option ${key} must be a number ≥ 0, not ${String(v)}`);
    }
    return n;
  };
  const mirrors = parseRegistryMirrors(str('registryMirrors', ''));
  if ('error' in mirrors)
    throw new Error(`runtime-microvm: option registryMirrors: ${mirrors.error}`);
  const masquerade = str('masquerade', String(d.masquerade));
  if (masquerade !== 'true' && masquerade !== 'false') {
    throw new Error(`runtime-microvm: option masquerade must be true or false`);
  }
  return {
    // `skiff runtime --state-dir` passes stateDir.
    root: str('root', str('stateDir', d.root)),
    kernel: str('kernel', d.kernel),
    initrd: str('initrd', d.initrd),
    binaries: {
      qemu: str('qemu', d.binaries.qemu),
      virtiofsd: str('virtiofsd', d.binaries.virtiofsd),
    },
    bridge: str('bridge', d.bridge),
    subnet: str('subnet', d.subnet),
    masquerade: masquerade === 'true',
    memoryOverheadMiB: num('memoryOverheadMiB', d.memoryOverheadMiB),
    bootTimeoutSeconds: num('bootTimeoutSeconds', d.bootTimeoutSeconds),
    vmGraceSeconds: num('vmGraceSeconds', d.vmGraceSeconds),
    registryMirrors: mirrors.mirrors,
  };
}

/** microVmCapabilities are what the micro-VM adapter honours. */
export const microVmCapabilities: RuntimeCapabilities = {
  exec: true,
  streamingExec: true,
  attach: false,
  portForward: true,
  stats: true,
  events: false,
  isolation: 'vm',
};

type Handler<K extends UnaryRpc> = (req: RpcRequestReceived<K>) => Promise<RpcResponse<K>>;

// The guest image is built (or found in its cache) once per adapter, on the first boot.
function guestBoot(options: MicroVmOptions): () => Promise<GuestBoot> {
  let built: Promise<GuestBoot> | undefined;
  return () => {
    built ??= (async () => {
      const image = options.initrd
        ? { kernel: options.kernel, initrd: options.initrd }
        : await buildInitramfs({
            cacheDir: join(options.root, 'guest'),
            ...(options.kernel ? { kernel: options.kernel } : {}),
          });
      return {
        kernel: image.kernel,
        initrd: image.initrd,
        cmdline: (s) => kernelCommandLine({ hostname: s.hostname, ip: s.ip, gateway: s.gateway }),
      };
    })();
    built.catch(() => {
      built = undefined;
    });
    return built;
  };
}

/**
 * MicroVmRuntime is the runtime.v1 adapter whose pod sandboxes are qemu micro-VMs: each
 * sandbox boots its own kernel with a guest agent, containers run inside it, images reach it
 * over virtiofs and its address sits on a host bridge.
 */
export class MicroVmRuntime implements RuntimeAdapter, ImageImporter {
  readonly runtimeName = 'skiff-microvm';
  readonly runtimeVersion: string;
  readonly capabilities = microVmCapabilities;
  readonly #ctx: RuntimeContext;
  #streaming: StreamingServer | undefined;

  private constructor(ctx: RuntimeContext, version: string) {
    this.#ctx = ctx;
    this.runtimeVersion = version;
  }

  /**
   * start probes the accelerator, opens the stores, reaps the VMs an earlier run left, and
   * starts the streaming server (not for an import-only adapter, which touches images only).
   */
  static async start(
    options: MicroVmOptions,
    logger?: Logger,
    importOnly = false,
  ): Promise<MicroVmRuntime> {
    // An import-only adapter boots nothing, so it need not spend a second on the probe.
    const accel = importOnly
      ? { accel: 'tcg' as const, reason: 'not probed: this adapter only imports images' }
      : await probeAccelerator(options.binaries.qemu);
    const ctx: RuntimeContext = {
      options,
      records: new RecordStore(options.root),
      images: new ImageStore(join(options.root, 'images')),
      network: new VmNetwork({
        bridge: options.bridge,
        subnet: options.subnet,
        masquerade: options.masquerade,
        leases: join(options.root, 'network', 'leases.json'),
      }),
      accel,
      host: { cpus: cpus().length, memoryMiB: Math.floor(totalmem() / 2 ** 20) },
      guestImage: guestBoot(options),
      live: new Map(),
      logger,
    };
    const runtime = new MicroVmRuntime(ctx, `0.1.0 (qemu microvm, ${accel.accel})`);
    if (!importOnly) {
      await sandboxes.recoverSandboxes(ctx);
      runtime.#streaming = await startStreamingServer(microVmStreams(ctx));
      logger?.info('micro-VM runtime ready', { accel: accel.accel, why: accel.reason });
    }
    return runtime;
  }

  /** importImages loads an image tarball into the adapter's image store. */
  importImages(path: string): Promise<string[]> {
    return this.#ctx.images.importArchive(path);
  }

  status: Handler<'Status'> = async () => {
    const networkProblem = this.#ctx.network.problem() ?? '';
    const { accel, reason } = this.#ctx.accel;
    return {
      status: {
        conditions: [
          {
            type: 'RuntimeReady',
            status: true,
            reason: accel === 'kvm' ? 'KVM' : 'TCG',
            message: `micro-VMs run under ${accel}: ${reason}`,
          },
          {
            type: 'NetworkReady',
            status: !networkProblem,
            reason: networkProblem ? 'NoTapDevices' : '',
            message: networkProblem,
          },
        ],
      },
    };
  };

  runPodSandbox: Handler<'RunPodSandbox'> = (req) => sandboxes.runPodSandbox(this.#ctx, req);
  stopPodSandbox: Handler<'StopPodSandbox'> = (req) => sandboxes.stopPodSandbox(this.#ctx, req);
  removePodSandbox: Handler<'RemovePodSandbox'> = (req) =>
    sandboxes.removePodSandbox(this.#ctx, req);
  podSandboxStatus: Handler<'PodSandboxStatus'> = (req) =>
    sandboxes.podSandboxStatus(this.#ctx, req);
  listPodSandbox: Handler<'ListPodSandbox'> = (req) => sandboxes.listPodSandbox(this.#ctx, req);
  createContainer: Handler<'CreateContainer'> = (req) => containers.createContainer(this.#ctx, req);
  startContainer: Handler<'StartContainer'> = (req) => containers.startContainer(this.#ctx, req);
  stopContainer: Handler<'StopContainer'> = (req) => containers.stopContainer(this.#ctx, req);
  removeContainer: Handler<'RemoveContainer'> = (req) => containers.removeContainer(this.#ctx, req);
  listContainers: Handler<'ListContainers'> = (req) => containers.listContainers(this.#ctx, req);
  containerStatus: Handler<'ContainerStatus'> = (req) => containers.containerStatus(this.#ctx, req);
  execSync: Handler<'ExecSync'> = (req) => containers.execSync(this.#ctx, req);
  portForward: Handler<'PortForward'> = async (req) => {
    const sandbox = sandboxOf(this.#ctx, req.podSandboxId);
    if (sandbox.state !== 'SANDBOX_READY')
      throw new SkiffError('FailedPrecondition', `pod sandbox ${sandbox.id} is not ready`);
    if (!this.#streaming) {
      throw new SkiffError('ServiceUnavailable', 'the streaming server is not running');
    }
    return this.#streaming.portForward(req);
  };
  containerStats: Handler<'ContainerStats'> = (req) => stats.containerStats(this.#ctx, req);
  listContainerStats: Handler<'ListContainerStats'> = (req) =>
    stats.listContainerStats(this.#ctx, req);
  podSandboxStats: Handler<'PodSandboxStats'> = (req) => stats.podSandboxStats(this.#ctx, req);
  listPodSandboxStats: Handler<'ListPodSandboxStats'> = (req) =>
    stats.listPodSandboxStats(this.#ctx, req);
  updateContainerResources: Handler<'UpdateContainerResources'> = (req) =>
    stats.updateContainerResources(this.#ctx, req);
  exec: Handler<'Exec'> = async (req) => {
    containers.runningContainer(this.#ctx, req.containerId);
    if (!this.#streaming) {
      throw new SkiffError('ServiceUnavailable', 'the streaming server is not running');
    }
    return this.#streaming.exec(req);
  };

  listImages: Handler<'ListImages'> = async (req) => {
    const want = req.filter?.image?.image;
    const images = want
      ? [this.#ctx.images.find(want)].filter((i) => i !== undefined)
      : this.#ctx.images.list();
    return { images: images.map((i) => this.#imageMessage(i)) };
  };
  imageStatus: Handler<'ImageStatus'> = async (req) => {
    const image = this.#ctx.images.find(checkedRef(req.image?.image));
    if (!image) return {};
    const message = this.#imageMessage(image);
    return req.verbose
      ? { image: message, info: { info: JSON.stringify(this.#ctx.images.config(image)) } }
      : { image: message };
  };
  pullImage: Handler<'PullImage'> = async (req) => {
    const auth = req.auth ? { username: req.auth.username, password: req.auth.password } : {};
    const mirrors = this.#ctx.options.registryMirrors;
    return { imageRef: await this.#ctx.images.pull(checkedRef(req.image?.image), auth, mirrors) };
  };
  removeImage: Handler<'RemoveImage'> = async (req) => {
    const used = (id: string) =>
      [...this.#ctx.records.containers.values()].some(
        (c) => c.imageId === id && this.#ctx.live.has(c.sandboxId),
      );
    this.#ctx.images.remove(checkedRef(req.image?.image), used);
    return {};
  };

  // Container writable layers live in each guest's memory (tmpfs), so only images count here.
  imageFsInfo: Handler<'ImageFsInfo'> = async () => {
    const images = this.#ctx.images.list();
    return {
      imageFilesystems: [
        {
          timestamp: nowNanos(),
          fsId: { mountpoint: join(this.#ctx.options.root, 'images') },
          usedBytes: { value: String(this.#ctx.images.usage()) },
          inodesUsed: { value: String(images.reduce((n, i) => n + 1 + i.layers.length, 0)) },
        },
      ],
      containerFilesystems: [],
    };
  };

  #imageMessage(image: ReturnType<ImageStore['list']>[number]) {
    const user = this.#ctx.images.config(image).config?.User ?? '';
    const first = user.split(':')[0] ?? '';
    return {
      id: image.id,
      repoTags: image.names,
      repoDigests: this.#ctx.images.repoDigests(image),
      size: String(image.size),
      ...(/^\d+$/.test(first) ? { uid: { value: first } } : { username: first }),
      spec: { image: image.id },
    };
  }

  /**
   * close stops every VM (they cannot outlive the adapter: a restarted one could not follow
   * their output) and the streaming server.
   */
  async close(): Promise<void> {
    for (const id of [...this.#ctx.live.keys()]) {
      await sandboxes.stopPodSandbox(this.#ctx, { podSandboxId: id }).catch((err: unknown) => {
        this.#ctx.logger?.warn('cannot stop a VM on close', { id, error: String(err) });
      });
    }
    await this.#streaming?.close();
  }
}
