import { randomBytes } from 'node:crypto';
import { SkiffError } from '../../sdk/errors.ts';
import type { RuntimeAdapter, RuntimeCapabilities } from '../../sdk/runtime/adapter.ts';
import type { RpcRequestReceived, RpcResponse, UnaryRpc } from '../../sdk/runtime/rpcs.ts';
import { imageId, normalizeImage, type SimImage } from './images.ts';

/** simCapabilities are what the sim runtime honours: ExecSync with a fixed answer, nothing streamed. */
export const simCapabilities: RuntimeCapabilities = {
  exec: true,
  streamingExec: false,
  attach: false,
  portForward: false,
  stats: false,
  events: false,
  isolation: 'container',
};

/** SimRuntimeOptions tune what the sim runtime answers. */
export interface SimRuntimeOptions {
  /** execOutput is the stdout every ExecSync answers with (exit code 0). */
  readonly execOutput: string;
  /** podCidrPrefix is the first three octets of the sandbox IPs it hands out (`10.88.0`). */
  readonly podCidrPrefix: string;
}

/** defaultSimOptions are used for every option the configuration leaves out. */
export const defaultSimOptions: SimRuntimeOptions = { execOutput: '', podCidrPrefix: '10.88.0' };

/** simOptions reads the sim runtime options from plugin config, refusing values of the wrong type. */
export function simOptions(config: Readonly<Record<string, unknown>>): SimRuntimeOptions {
  const pick = (key: keyof SimRuntimeOptions): string => {
    const v = config[key];
    if (v === undefined) return defaultSimOptions[key];
    if (typeof v !== 'string') throw new Error(`runtime-sim: option ${key} must be a string`);
    return v;
  };
  const podCidrPrefix = pick('podCidrPrefix');
  if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(podCidrPrefix)) {
    throw new Error(`runtime-sim: option podCidrPrefix must be three octets like 10.88.0`);
  }
  return { execOutput: pick('execOutput'), podCidrPrefix };
}

type Handler<K extends UnaryRpc> = (req: RpcRequestReceived<K>) => Promise<RpcResponse<K>>;
type Labels = Record<string, string>;

interface SimSandbox {
  readonly id: string;
  readonly metadata: { name: string; uid: string; namespace: string; attempt: number };
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  readonly createdAt: string;
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly runtimeHandler: string;
  readonly ip: string;
}

interface SimContainer {
  readonly id: string;
  readonly podSandboxId: string;
  readonly metadata: { name: string; attempt: number };
  readonly image: string;
  readonly imageRef: string;
  state: 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED';
  readonly createdAt: string;
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  reason: string;
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly logPath: string;
}

// Nanoseconds since the epoch as the decimal string runtime.v1's int64 fields carry.
const nowNanos = (): string => (BigInt(Date.now()) * 1_000_000n).toString();
const newId = (): string => randomBytes(32).toString('hex');

function selected(labels: Labels, selector: Labels): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

// An id filter matches a full id or a unique prefix of one, as the CRI runtimes do.
function byId<T extends { id: string }>(map: Map<string, T>, id: string): T | undefined {
  const exact = map.get(id);
  if (exact || id === '') return exact;
  const found = [...map.values()].filter((o) => o.id.startsWith(id));
  return found.length === 1 ? found[0] : undefined;
}

/**
 * SimRuntime is an in-memory runtime.v1 runtime: sandboxes and containers exist only as
 * records, run nothing and start at once. It serves scale runs and simulated nodes.
 */
export class SimRuntime implements RuntimeAdapter {
  readonly runtimeName = 'skiff-sim';
  readonly runtimeVersion = '0.1.0';
  readonly capabilities = simCapabilities;
  readonly #options: SimRuntimeOptions;
  readonly #sandboxes = new Map<string, SimSandbox>();
  readonly #containers = new Map<string, SimContainer>();
  readonly #images = new Map<string, SimImage>();
  #nextIp = 2;

  constructor(options: SimRuntimeOptions = defaultSimOptions) {
    this.#options = options;
  }

  async close(): Promise<void> {}

  #sandbox(id: string): SimSandbox {
    const s = byId(this.#sandboxes, id);
    if (!s) throw new SkiffError('NotFound', `pod sandbox ${JSON.stringify(id)} not found`);
    return s;
  }

  #container(id: string): SimContainer {
    const c = byId(this.#containers, id);
    if (!c) throw new SkiffError('NotFound', `container ${JSON.stringify(id)} not found`);
    return c;
  }

  #allocateIp(): string {
    // 254 host addresses per prefix; a long-lived runtime wraps around rather than failing.
    const ip = `${this.#options.podCidrPrefix}.${this.#nextIp}`;
    this.#nextIp = this.#nextIp >= 254 ? 2 : this.#nextIp + 1;
    return ip;
  }

  // Always ready: there is no daemon behind it. The kit adds the capabilities to a verbose Status.
  status: Handler<'Status'> = async () => {
    const ok = (type: string) => ({ type, status: true, reason: '', message: '' });
    return { status: { conditions: [ok('RuntimeReady'), ok('NetworkReady')] }, info: {} };
  };

  runPodSandbox: Handler<'RunPodSandbox'> = async (req) => {
    const meta = req.config?.metadata;
    if (!meta?.name || !meta.uid || !meta.namespace) {
      throw new SkiffError('Invalid', 'sandbox config needs metadata name, uid and namespace');
    }
    const sandbox: SimSandbox = {
      id: newId(),
      metadata: {
        name: meta.name,
        uid: meta.uid,
        namespace: meta.namespace,
        attempt: meta.attempt,
      },
      state: 'SANDBOX_READY',
      createdAt: nowNanos(),
      labels: { ...req.config?.labels },
      annotations: { ...req.config?.annotations },
      runtimeHandler: req.runtimeHandler,
      ip: this.#allocateIp(),
    };
    this.#sandboxes.set(sandbox.id, sandbox);
    return { podSandboxId: sandbox.id };
  };

  stopPodSandbox: Handler<'StopPodSandbox'> = async (req) => {
    const sandbox = byId(this.#sandboxes, req.podSandboxId);
    // Stopping what is already gone succeeds, as the protocol asks.
    if (!sandbox) return {};
    sandbox.state = 'SANDBOX_NOTREADY';
    for (const c of this.#containers.values()) {
      if (c.podSandboxId === sandbox.id) this.#exit(c, 137, 'Killed');
    }
    return {};
  };

  removePodSandbox: Handler<'RemovePodSandbox'> = async (req) => {
    const sandbox = byId(this.#sandboxes, req.podSandboxId);
    if (!sandbox) return {};
    for (const c of [...this.#containers.values()]) {
      if (c.podSandboxId === sandbox.id) this.#containers.delete(c.id);
    }
    this.#sandboxes.delete(sandbox.id);
    return {};
  };

  podSandboxStatus: Handler<'PodSandboxStatus'> = async (req) => {
    const s = this.#sandbox(req.podSandboxId);
    return {
      status: {
        id: s.id,
        metadata: s.metadata,
        state: s.state,
        createdAt: s.createdAt,
        network: { ip: s.ip, additionalIps: [] },
        labels: s.labels,
        annotations: s.annotations,
        runtimeHandler: s.runtimeHandler,
      },
      info: {},
    };
  };

  listPodSandbox: Handler<'ListPodSandbox'> = async (req) => {
    const f = req.filter;
    const items = [...this.#sandboxes.values()].filter(
      (s) =>
        (!f?.id || s.id.startsWith(f.id)) &&
        (!f?.state || s.state === f.state.state) &&
        selected(s.labels, f?.labelSelector ?? {}),
    );
    return {
      items: items.map((s) => ({
        id: s.id,
        metadata: s.metadata,
        state: s.state,
        createdAt: s.createdAt,
        labels: s.labels,
        annotations: s.annotations,
        runtimeHandler: s.runtimeHandler,
      })),
    };
  };

  createContainer: Handler<'CreateContainer'> = async (req) => {
    const sandbox = this.#sandbox(req.podSandboxId);
    if (sandbox.state !== 'SANDBOX_READY') {
      throw new SkiffError('FailedPrecondition', `pod sandbox ${sandbox.id} is not ready`);
    }
    const meta = req.config?.metadata;
    const image = req.config?.image?.image ?? '';
    if (!meta?.name) throw new SkiffError('Invalid', 'container config needs metadata name');
    if (!image) throw new SkiffError('Invalid', 'container config needs an image');
    const container: SimContainer = {
      id: newId(),
      podSandboxId: sandbox.id,
      metadata: { name: meta.name, attempt: meta.attempt },
      image,
      imageRef: this.#images.get(normalizeImage(image))?.id ?? imageId(normalizeImage(image)),
      state: 'CONTAINER_CREATED',
      createdAt: nowNanos(),
      startedAt: '0',
      finishedAt: '0',
      exitCode: 0,
      reason: '',
      labels: { ...req.config?.labels },
      annotations: { ...req.config?.annotations },
      logPath: req.config?.logPath ?? '',
    };
    this.#containers.set(container.id, container);
    return { containerId: container.id };
  };

  startContainer: Handler<'StartContainer'> = async (req) => {
    const c = this.#container(req.containerId);
    if (c.state !== 'CONTAINER_CREATED') {
      throw new SkiffError('FailedPrecondition', `container ${c.id} is ${c.state}, not created`);
    }
    c.state = 'CONTAINER_RUNNING';
    c.startedAt = nowNanos();
    return {};
  };

  #exit(c: SimContainer, exitCode: number, reason: string): void {
    if (c.state === 'CONTAINER_EXITED') return;
    // A container stopped before it started never ran: it exits without an exit code of a kill.
    const ran = c.state === 'CONTAINER_RUNNING';
    c.state = 'CONTAINER_EXITED';
    c.finishedAt = nowNanos();
    c.exitCode = ran ? exitCode : 0;
    c.reason = ran ? reason : 'Completed';
  }

  stopContainer: Handler<'StopContainer'> = async (req) => {
    const c = byId(this.#containers, req.containerId);
    if (!c) return {};
    // Nothing runs inside, so a stop is the graceful kind: exit code 0 as for a clean SIGTERM exit.
    this.#exit(c, 0, 'Completed');
    return {};
  };

  removeContainer: Handler<'RemoveContainer'> = async (req) => {
    const c = byId(this.#containers, req.containerId);
    if (c) this.#containers.delete(c.id);
    return {};
  };

  listContainers: Handler<'ListContainers'> = async (req) => {
    const f = req.filter;
    const items = [...this.#containers.values()].filter(
      (c) =>
        (!f?.id || c.id.startsWith(f.id)) &&
        (!f?.podSandboxId || c.podSandboxId.startsWith(f.podSandboxId)) &&
        (!f?.state || c.state === f.state.state) &&
        selected(c.labels, f?.labelSelector ?? {}),
    );
    return {
      containers: items.map((c) => ({
        id: c.id,
        podSandboxId: c.podSandboxId,
        metadata: c.metadata,
        image: { image: c.image },
        imageRef: c.imageRef,
        state: c.state,
        createdAt: c.createdAt,
        labels: c.labels,
        annotations: c.annotations,
      })),
    };
  };

  containerStatus: Handler<'ContainerStatus'> = async (req) => {
    const c = this.#container(req.containerId);
    return {
      status: {
        id: c.id,
        metadata: c.metadata,
        state: c.state,
        createdAt: c.createdAt,
        startedAt: c.startedAt,
        finishedAt: c.finishedAt,
        exitCode: c.exitCode,
        image: { image: c.image },
        imageRef: c.imageRef,
        reason: c.reason,
        message: '',
        labels: c.labels,
        annotations: c.annotations,
        mounts: [],
        logPath: c.logPath,
      },
      info: {},
    };
  };

  execSync: Handler<'ExecSync'> = async (req) => {
    const c = this.#container(req.containerId);
    if (c.state !== 'CONTAINER_RUNNING') {
      throw new SkiffError('FailedPrecondition', `container ${c.id} is not running`);
    }
    if (req.cmd.length === 0) throw new SkiffError('Invalid', 'exec needs a command');
    return { stdout: Buffer.from(this.#options.execOutput), stderr: Buffer.alloc(0), exitCode: 0 };
  };

  listImages: Handler<'ListImages'> = async (req) => {
    const wanted = req.filter?.image?.image ? normalizeImage(req.filter.image.image) : undefined;
    const images = [...this.#images.values()].filter(
      (i) => wanted === undefined || i.name === wanted || i.id === wanted,
    );
    return { images: images.map(toImage) };
  };

  imageStatus: Handler<'ImageStatus'> = async (req) => {
    const found = this.#findImage(req.image?.image ?? '');
    // An image that is not present answers an empty status, not an error.
    return { image: found ? toImage(found) : null, info: {} };
  };

  pullImage: Handler<'PullImage'> = async (req) => {
    const ref = req.image?.image ?? '';
    if (!ref) throw new SkiffError('Invalid', 'pull needs an image name');
    const name = normalizeImage(ref);
    const image = this.#images.get(name) ?? { name, id: imageId(name) };
    this.#images.set(name, image);
    return { imageRef: image.id };
  };

  removeImage: Handler<'RemoveImage'> = async (req) => {
    const found = this.#findImage(req.image?.image ?? '');
    if (found) this.#images.delete(found.name);
    return {};
  };

  #findImage(ref: string): SimImage | undefined {
    if (!ref) return undefined;
    const name = normalizeImage(ref);
    return this.#images.get(name) ?? [...this.#images.values()].find((i) => i.id === ref);
  }
}

function toImage(i: SimImage) {
  return { id: i.id, repoTags: [i.name], repoDigests: [], size: '0', spec: { image: i.name } };
}
