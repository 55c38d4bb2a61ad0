import Docker from 'dockerode';
import { SkiffError } from '../../sdk/errors.ts';
import type { Logger } from '../../sdk/plugin.ts';
import type { RuntimeAdapter, RuntimeCapabilities } from '../../sdk/runtime/adapter.ts';
import { pauseImageRef } from '../../sdk/runtime/base-images.ts';
import { type ImageImporter, importOnlyOption } from '../../sdk/runtime/image-import.ts';
import type { RpcRequestReceived, RpcResponse, UnaryRpc } from '../../sdk/runtime/rpcs.ts';
import { type StreamingServer, startStreamingServer } from '../../sdk/runtime/streaming.ts';
import * as containers from './containers.ts';
import { execSync } from './exec.ts';
import * as images from './images.ts';
import {
  type DockerContext,
  type DockerRuntimeOptions,
  dockerMessage,
  inspectObject,
  label,
  listObjects,
  matchesSelector,
  parseJsonLabel,
  rememberNothing,
} from './labels.ts';
import { LogCopier } from './logs.ts';
import * as sandboxes from './sandboxes.ts';
import { containerStats, listPodSandboxStats, podSandboxStats, statsOf } from './stats.ts';
import { dockerStreams } from './streams.ts';

/** defaultDockerOptions are used for every option the configuration leaves out. */
export const defaultDockerOptions: DockerRuntimeOptions = {
  dockerHost: 'unix:///var/run/docker.sock',
  network: 'skiff-pods',
  subnet: '10.244.0.0/16',
  pauseImage: pauseImageRef,
  importOnly: false,
};

/** dockerOptions reads the adapter options from plugin config, filling in the defaults. */
export function dockerOptions(config: Readonly<Record<string, unknown>>): DockerRuntimeOptions {
  const pick = (key: 'dockerHost' | 'network' | 'subnet' | 'pauseImage'): string => {
    const v = config[key];
    if (v === undefined || v === '') return defaultDockerOptions[key];
    if (typeof v !== 'string') throw new Error(`runtime-docker: option ${key} must be a string`);
    return v;
  };
  return {
    importOnly: config[importOnlyOption] === true,
    dockerHost: pick('dockerHost'),
    network: pick('network'),
    subnet: pick('subnet'),
    pauseImage: pick('pauseImage'),
  };
}

function dockerClient(host: string): Docker {
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) });
  if (host.startsWith('/')) return new Docker({ socketPath: host });
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' });
}

/** dockerCapabilities are what the Docker adapter honours. */
export const dockerCapabilities: RuntimeCapabilities = {
  exec: true,
  streamingExec: true,
  attach: true,
  portForward: true,
  stats: true,
  events: false,
  isolation: 'container',
  seccomp: true,
};

type Handler<K extends UnaryRpc> = (req: RpcRequestReceived<K>) => Promise<RpcResponse<K>>;

/**
 * DockerRuntime is the runtime.v1 adapter over the Docker Engine API. It keeps no state of its
 * own: every answer is read back from Docker labels, so a restarted adapter sees everything.
 */
export class DockerRuntime implements RuntimeAdapter, ImageImporter {
  readonly runtimeName = 'skiff-docker';
  runtimeVersion = 'unknown';
  readonly capabilities = dockerCapabilities;
  readonly #ctx: DockerContext;
  readonly #logs: LogCopier;
  readonly #logger: Logger | undefined;
  #streaming: StreamingServer | undefined;

  private constructor(ctx: DockerContext, logger?: Logger) {
    this.#ctx = ctx;
    this.#logs = new LogCopier(ctx, logger);
    this.#logger = logger;
  }

  get #streams(): StreamingServer {
    if (!this.#streaming)
      throw new SkiffError('ServiceUnavailable', 'the streaming server is not running');
    return this.#streaming;
  }

  /** start connects to Docker, checks it answers and resumes copying container logs. */
  static async start(options: DockerRuntimeOptions, logger?: Logger): Promise<DockerRuntime> {
    const ctx: DockerContext = {
      docker: dockerClient(options.dockerHost),
      options,
      remembered: rememberNothing(),
    };
    const runtime = new DockerRuntime(ctx, logger);
    try {
      const [version] = await Promise.all([
        ctx.docker.version(),
        options.importOnly ? undefined : sandboxes.learnDockerRoot(ctx),
      ]);
      runtime.runtimeVersion = version.Version;
    } catch (err) {
      throw new Error(
        `runtime-docker: Docker does not answer at ${options.dockerHost}: ${dockerMessage(err)}`,
      );
    }
    if (!options.importOnly) {
      await containers.resumeLogCopies(ctx, runtime.#logs);
      runtime.#streaming = await startStreamingServer(dockerStreams(ctx));
    }
    return runtime;
  }

  /** importImages loads an image tarball (docker save or OCI layout) and returns the names it held. */
  importImages(path: string): Promise<string[]> {
    return images.importArchive(this.#ctx, path);
  }

  status: Handler<'Status'> = async () => {
    let ready = true;
    let message = '';
    try {
      await this.#ctx.docker.ping();
    } catch (err) {
      ready = false;
      message = dockerMessage(err);
    }
    const condition = (type: string) => ({
      type,
      status: ready,
      reason: ready ? '' : 'DockerUnavailable',
      message,
    });
    return { status: { conditions: [condition('RuntimeReady'), condition('NetworkReady')] } };
  };

  runPodSandbox: Handler<'RunPodSandbox'> = (req) => sandboxes.runPodSandbox(this.#ctx, req);
  stopPodSandbox: Handler<'StopPodSandbox'> = (req) => sandboxes.stopPodSandbox(this.#ctx, req);
  removePodSandbox: Handler<'RemovePodSandbox'> = async (req) => {
    for (const c of req.podSandboxId
      ? await listObjects(this.#ctx, 'container', req.podSandboxId)
      : []) {
      this.#logs.stop(c.id);
    }
    return sandboxes.removePodSandbox(this.#ctx, req);
  };
  podSandboxStatus: Handler<'PodSandboxStatus'> = (req) =>
    sandboxes.podSandboxStatus(this.#ctx, req);
  listPodSandbox: Handler<'ListPodSandbox'> = (req) => sandboxes.listPodSandbox(this.#ctx, req);
  createContainer: Handler<'CreateContainer'> = (req) => containers.createContainer(this.#ctx, req);
  startContainer: Handler<'StartContainer'> = (req) =>
    containers.startContainer(this.#ctx, this.#logs, req);
  stopContainer: Handler<'StopContainer'> = (req) => containers.stopContainer(this.#ctx, req);
  removeContainer: Handler<'RemoveContainer'> = (req) =>
    containers.removeContainer(this.#ctx, this.#logs, req);
  listContainers: Handler<'ListContainers'> = (req) => containers.listContainers(this.#ctx, req);
  containerStatus: Handler<'ContainerStatus'> = (req) => containers.containerStatus(this.#ctx, req);
  updateContainerResources: Handler<'UpdateContainerResources'> = (req) =>
    containers.updateContainerResources(this.#ctx, req);
  reopenContainerLog: Handler<'ReopenContainerLog'> = async (req) => {
    const info = await inspectObject(this.#ctx, 'container', req.containerId);
    if (!info.State.Running)
      throw new SkiffError('FailedPrecondition', `container ${info.Id} is not running`);
    if (!this.#logs.reopen(info.Id)) {
      await this.#logs.follow(info.Id, info.Config.Labels?.[label.logPath] ?? '');
    }
    return {};
  };
  execSync: Handler<'ExecSync'> = (req) => execSync(this.#ctx, req);
  exec: Handler<'Exec'> = async (req) => {
    const info = await inspectObject(this.#ctx, 'container', req.containerId);
    if (!info.State.Running)
      throw new SkiffError('FailedPrecondition', `container ${info.Id} is not running`);
    return this.#streams.exec(req);
  };
  attach: Handler<'Attach'> = async (req) => {
    const info = await inspectObject(this.#ctx, 'container', req.containerId);
    if (!info.State.Running)
      throw new SkiffError('FailedPrecondition', `container ${info.Id} is not running`);
    return this.#streams.attach(req);
  };
  portForward: Handler<'PortForward'> = async (req) => {
    const info = await inspectObject(this.#ctx, 'sandbox', req.podSandboxId);
    if (!info.State.Running)
      throw new SkiffError('FailedPrecondition', `pod sandbox ${info.Id} is not ready`);
    return this.#streams.portForward(req);
  };
  containerStats: Handler<'ContainerStats'> = (req) => containerStats(this.#ctx, req);
  listContainerStats: Handler<'ListContainerStats'> = async (req) => {
    const f = req.filter;
    const running = (
      await listObjects(this.#ctx, 'container', f?.podSandboxId || undefined)
    ).filter(
      (c) =>
        c.state === 'running' &&
        (!f?.id || c.id.startsWith(f.id)) &&
        matchesSelector(parseJsonLabel(c.labels, label.labels, {}), f?.labelSelector),
    );
    return { stats: await Promise.all(running.map((c) => statsOf(this.#ctx, c.id, c.labels))) };
  };
  podSandboxStats: Handler<'PodSandboxStats'> = (req) => podSandboxStats(this.#ctx, req);
  listPodSandboxStats: Handler<'ListPodSandboxStats'> = (req) =>
    listPodSandboxStats(this.#ctx, req);
  listImages: Handler<'ListImages'> = (req) => images.listImages(this.#ctx, req);
  imageStatus: Handler<'ImageStatus'> = (req) => images.imageStatus(this.#ctx, req);
  pullImage: Handler<'PullImage'> = (req) => images.pullImage(this.#ctx, req);
  removeImage: Handler<'RemoveImage'> = (req) => images.removeImage(this.#ctx, req);
  imageFsInfo: Handler<'ImageFsInfo'> = () => images.imageFsInfo(this.#ctx);

  async close(): Promise<void> {
    this.#logs.close();
    await this.#streaming?.close();
    this.#logger?.debug('runtime-docker closed');
  }
}
