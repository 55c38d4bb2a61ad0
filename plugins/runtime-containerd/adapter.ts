import { join } from 'node:path';
import { SkiffError } from '../../sdk/errors.ts';
import type { Logger } from '../../sdk/plugin.ts';
import type { RuntimeAdapter, RuntimeCapabilities } from '../../sdk/runtime/adapter.ts';
import { pauseImageRef } from '../../sdk/runtime/base-images.ts';
import type { ImageImporter } from '../../sdk/runtime/image-import.ts';
import { parseRegistryMirrors } from '../../sdk/runtime/registry-pull.ts';
import type { RpcRequestReceived, RpcResponse, UnaryRpc } from '../../sdk/runtime/rpcs.ts';
import { type StreamingServer, startStreamingServer } from '../../sdk/runtime/streaming.ts';
import { ContainerdClient, isAlreadyExists } from './client.ts';
import * as containers from './containers.ts';
import {
  type ContainerdRuntimeOptions,
  ioDir,
  label,
  listRecords,
  type RuntimeContext,
  taskOf,
} from './context.ts';
import { type PrivateContainerd, startPrivateContainerd, waitForContainerd } from './daemon.ts';
import { subscribeTaskExits, type TaskExits } from './events.ts';
import { execSync } from './exec.ts';
import { imageFsInfo } from './fs-info.ts';
import * as images from './images.ts';
import { podNetworkReady } from './network.ts';
import { pullImage } from './pull.ts';
import * as sandboxes from './sandboxes.ts';
import {
  containerStats,
  listContainerStats,
  listPodSandboxStats,
  podSandboxStats,
} from './stats.ts';
import { containerdStreams } from './streams.ts';
import { CriLogWriter, fifosOf } from './task-io.ts';
import { finishTask } from './tasks.ts';

/** defaultContainerdOptions are used for every option the configuration leaves out. */
export const defaultContainerdOptions: ContainerdRuntimeOptions = {
  socket: '',
  namespace: 'skiff',
  dataDir: '/var/lib/skiff/containerd',
  pauseImage: pauseImageRef,
  // Apart from the CRI reference's 10.88.x.0/24 bridges and Docker's 10.244/10.252 networks.
  network: { bridge: 'skiff-ctrd0', subnet: '10.89.0.0/16', cniBinDir: '/usr/lib/cni' },
  registryMirrors: {},
};

/** containerdOptions reads the adapter options from plugin config, filling in the defaults. */
export function containerdOptions(
  config: Readonly<Record<string, unknown>>,
): ContainerdRuntimeOptions {
  const pick = (key: string, fallback: string): string => {
    const v = config[key];
    if (v === undefined || v === '') return fallback;
    if (typeof v !== 'string')
      throw new Error(`runtime-containerd: option ${key} must be a string`);
    return v;
  };
  const d = defaultContainerdOptions;
  const mirrors = parseRegistryMirrors(pick('registryMirrors', ''));
  if ('error' in mirrors)
    throw new Error(`runtime-containerd: option registryMirrors: ${mirrors.error}`);
  return {
    socket: pick('socket', d.socket),
    namespace: pick('namespace', d.namespace),
    // `skiff runtime --state-dir` passes stateDir.
    dataDir: pick('dataDir', pick('stateDir', d.dataDir)),
    pauseImage: pick('pauseImage', d.pauseImage),
    network: {
      bridge: pick('bridge', d.network.bridge),
      subnet: pick('subnet', d.network.subnet),
      cniBinDir: pick('cniBinDir', d.network.cniBinDir),
    },
    registryMirrors: mirrors.mirrors,
  };
}

/** containerdCapabilities are what the containerd adapter honours. */
export const containerdCapabilities: RuntimeCapabilities = {
  exec: true,
  streamingExec: true,
  attach: false,
  portForward: false,
  stats: true,
  events: false,
  isolation: 'container',
  seccomp: true,
};

type Handler<K extends UnaryRpc> = (req: RpcRequestReceived<K>) => Promise<RpcResponse<K>>;

/**
 * ContainerdRuntime is the runtime.v1 adapter over containerd's own services (containers,
 * tasks, images, content, snapshots, leases, diff). All state lives in containerd labels, so
 * a restarted adapter picks up where it was.
 */
export class ContainerdRuntime implements RuntimeAdapter, ImageImporter {
  readonly runtimeName = 'skiff-containerd';
  runtimeVersion = 'unknown';
  readonly capabilities = containerdCapabilities;
  readonly #ctx: RuntimeContext;
  readonly #daemon: PrivateContainerd | undefined;
  readonly #logger: Logger | undefined;
  #streaming: StreamingServer | undefined;
  #exits: TaskExits | undefined;

  private constructor(ctx: RuntimeContext, daemon: PrivateContainerd | undefined, logger?: Logger) {
    this.#ctx = ctx;
    this.#daemon = daemon;
    this.#logger = logger;
  }

  /**
   * start connects to containerd (starting a private one under dataDir when no socket is
   * given), makes its namespace, and resumes the log copies and exit watches of running tasks.
   */
  static async start(
    options: ContainerdRuntimeOptions,
    logger?: Logger,
    importOnly = false,
  ): Promise<ContainerdRuntime> {
    const privateDir = join(options.dataDir, 'containerd');
    // An import-only adapter sits beside a served one and uses the containerd that one runs.
    const daemon =
      options.socket || importOnly ? undefined : await startPrivateContainerd(privateDir, logger);
    const socket = options.socket || daemon?.socket || join(privateDir, 'containerd.sock');
    const client = new ContainerdClient(socket, options.namespace);
    const ctx: RuntimeContext = {
      client,
      options,
      network: { ...options.network, ipamDir: join(options.dataDir, 'ipam') },
      logs: new Map(),
    };
    const runtime = new ContainerdRuntime(ctx, daemon, logger);
    try {
      runtime.runtimeVersion = await waitForContainerd(socket, 10_000);
      await client
        .call('namespaces', 'Create', { namespace: { name: options.namespace } })
        .catch((err: unknown) => {
          if (!isAlreadyExists(err)) throw err;
        });
      if (!importOnly) {
        // Subscribed before the sweep, so an exit between the two is not lost.
        runtime.#exits = subscribeTaskExits(
          ctx,
          (id) => {
            finishTask(ctx, id).catch((err: unknown) =>
              logger?.warn(`cannot record the exit of ${id}: ${String(err)}`),
            );
          },
          () => {
            runtime.#recover().catch(() => {});
          },
        );
        await runtime.#recover();
        runtime.#streaming = await startStreamingServer(containerdStreams(ctx));
      }
    } catch (err) {
      client.close();
      await daemon?.stop();
      throw new Error(
        `runtime-containerd: containerd at ${socket}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    return runtime;
  }

  // Running containers get their log copies back; tasks that exited unseen are finished.
  async #recover(): Promise<void> {
    const ctx = this.#ctx;
    for (const kind of ['sandbox', 'container'] as const) {
      for (const r of await listRecords(ctx, kind)) {
        const task = await taskOf(ctx, r.id);
        if (!task) continue;
        if (task.status === 'STOPPED') {
          await finishTask(ctx, r.id);
          continue;
        }
        const logPath = r.labels[label.logPath];
        if (kind === 'container' && logPath && !ctx.logs.has(r.id)) {
          ctx.logs.set(r.id, new CriLogWriter(fifosOf(ioDir(ctx, r.id)), logPath));
        }
      }
    }
  }

  /** importImages loads an image tarball into containerd's content store and snapshotter. */
  importImages(path: string): Promise<string[]> {
    return images.importArchive(this.#ctx.client, path);
  }

  status: Handler<'Status'> = async () => {
    let runtimeProblem = '';
    try {
      await this.#ctx.client.call('version', 'Version', {}, { timeoutMs: 5_000 });
    } catch (err) {
      runtimeProblem = String(err);
    }
    const networkProblem = podNetworkReady(this.#ctx.network) ?? '';
    const condition = (type: string, problem: string, reason: string) => ({
      type,
      status: !problem,
      reason: problem ? reason : '',
      message: problem,
    });
    return {
      status: {
        conditions: [
          condition('RuntimeReady', runtimeProblem, 'ContainerdUnavailable'),
          condition('NetworkReady', networkProblem, 'CniPluginsMissing'),
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
  updateContainerResources: Handler<'UpdateContainerResources'> = (req) =>
    containers.updateContainerResources(this.#ctx, req);
  execSync: Handler<'ExecSync'> = (req) => execSync(this.#ctx, req);
  exec: Handler<'Exec'> = async (req) => {
    await containers.runningRecord(this.#ctx, req.containerId);
    if (!this.#streaming)
      throw new SkiffError('ServiceUnavailable', 'the streaming server is not running');
    return this.#streaming.exec(req);
  };
  containerStats: Handler<'ContainerStats'> = (req) => containerStats(this.#ctx, req);
  listContainerStats: Handler<'ListContainerStats'> = (req) => listContainerStats(this.#ctx, req);
  podSandboxStats: Handler<'PodSandboxStats'> = (req) => podSandboxStats(this.#ctx, req);
  listPodSandboxStats: Handler<'ListPodSandboxStats'> = (req) =>
    listPodSandboxStats(this.#ctx, req);
  listImages: Handler<'ListImages'> = (req) => images.listImages(this.#ctx.client, req);
  imageStatus: Handler<'ImageStatus'> = (req) => images.imageStatus(this.#ctx.client, req);
  pullImage: Handler<'PullImage'> = async (req) => {
    const auth = req.auth ? { username: req.auth.username, password: req.auth.password } : {};
    return {
      imageRef: await pullImage(this.#ctx.client, images.checkedRef(req.image?.image), auth, {
        mirrors: this.#ctx.options.registryMirrors,
      }),
    };
  };
  removeImage: Handler<'RemoveImage'> = (req) => images.removeImage(this.#ctx.client, req);
  imageFsInfo: Handler<'ImageFsInfo'> = () => imageFsInfo(this.#ctx);

  async close(): Promise<void> {
    for (const w of this.#ctx.logs.values()) await w.close();
    this.#ctx.logs.clear();
    this.#exits?.close();
    await this.#streaming?.close();
    this.#ctx.client.close();
    await this.#daemon?.stop();
    this.#logger?.debug('runtime-containerd closed');
  }
}
