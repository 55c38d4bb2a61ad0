import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SkiffError } from '../../sdk/errors.ts';
import type { RegistryMirrors } from '../../sdk/runtime/registry-pull.ts';
import { type ContainerdClient, isNotFound } from './client.ts';
import type { PodNetworkOptions } from './network.ts';
import type { CriLogWriter } from './task-io.ts';

/** ContainerdRuntimeOptions configures the containerd adapter. */
export interface ContainerdRuntimeOptions {
  /** socket is containerd's gRPC socket; empty starts a private containerd under dataDir. */
  socket: string;
  /** namespace is the containerd namespace that holds everything the adapter makes. */
  namespace: string;
  /** dataDir holds the private containerd, FIFOs, pod files and IPAM records. */
  dataDir: string;
  /** pauseImage is the sandbox image; it is built and imported when absent. */
  pauseImage: string;
  network: Omit<PodNetworkOptions, 'ipamDir'>;
  /** registryMirrors are tried, in order, before an image's own registry on a pull. */
  registryMirrors: RegistryMirrors;
}

/** RuntimeContext is what every rpc implementation of the adapter shares. */
export interface RuntimeContext {
  client: ContainerdClient;
  options: ContainerdRuntimeOptions;
  network: PodNetworkOptions;
  /** logs holds the log copies of running container tasks by container id. */
  logs: Map<string, CriLogWriter>;
}

/** label names the labels the adapter keeps on containerd container records. */
export const label = {
  kind: 'skiff.io/kind',
  sandbox: 'skiff.io/sandbox',
  metadata: 'skiff.io/metadata',
  labels: 'skiff.io/labels',
  annotations: 'skiff.io/annotations',
  createdAt: 'skiff.io/created-at',
  startedAt: 'skiff.io/started-at',
  finishedAt: 'skiff.io/finished-at',
  exitCode: 'skiff.io/exit-code',
  ip: 'skiff.io/ip',
  logPath: 'skiff.io/log-path',
  image: 'skiff.io/image',
  imageId: 'skiff.io/image-id',
  hostname: 'skiff.io/hostname',
  portMappings: 'skiff.io/port-mappings',
} as const;

/** ContainerRecord is a containerd container record as the adapter reads it. */
export interface ContainerRecord {
  id: string;
  labels: Record<string, string>;
  image: string;
  snapshotKey: string;
  spec?: { value: Buffer };
}

/** newId makes a 64-hex-digit id, as the CRI's runtimes do. */
export function newId(): string {
  return randomBytes(32).toString('hex');
}

/** nowNanos is the current time in nanoseconds since the epoch, as a decimal string. */
export function nowNanos(): string {
  return (BigInt(Date.now()) * 1_000_000n).toString();
}

/** sandboxDir is the host directory of one pod's shared files (hostname, resolv.conf). */
export function sandboxDir(ctx: RuntimeContext, id: string): string {
  return join(ctx.options.dataDir, 'pods', id);
}

/** ioDir is the FIFO directory of one process. */
export function ioDir(ctx: RuntimeContext, containerId: string, execId = 'init'): string {
  return join(ctx.options.dataDir, 'io', containerId, execId);
}

/** runcRoot is where runc keeps this namespace's containers (inside the data dir). */
export function runcRoot(ctx: RuntimeContext): string {
  return join(ctx.options.dataDir, 'runc', ctx.options.namespace);
}

/** parseJson reads a JSON label, or the fallback when it is absent or broken. */
export function parseJson<T>(labels: Record<string, string>, key: string, fallback: T): T {
  const v = labels[key];
  if (!v) return fallback;
  try {
    return JSON.parse(v) as T;
  } catch {
    return fallback;
  }
}

/** listRecords lists the adapter's records of one kind (and one sandbox, when given). */
export async function listRecords(
  ctx: RuntimeContext,
  kind: 'sandbox' | 'container',
  sandboxId?: string,
): Promise<ContainerRecord[]> {
  const filter = `labels."${label.kind}"==${kind}${sandboxId ? `,labels."${label.sandbox}"==${sandboxId}` : ''}`;
  const { containers } = await ctx.client.call<{ containers: ContainerRecord[] }>(
    'containers',
    'List',
    { filters: [filter] },
  );
  return containers;
}

/**
 * findRecord resolves an id (or a unique prefix) of one kind; absent answers undefined, an
 * empty id is Invalid.
 */
export async function findRecord(
  ctx: RuntimeContext,
  kind: 'sandbox' | 'container',
  id: string,
): Promise<ContainerRecord | undefined> {
  if (!id)
    throw new SkiffError(
      'Invalid',
      `${kind === 'sandbox' ? 'pod sandbox' : 'container'} id is empty`,
    );
  try {
    const { container } = await ctx.client.call<{ container: ContainerRecord }>(
      'containers',
      'Get',
      {
        id,
      },
    );
    return container.labels[label.kind] === kind ? container : undefined;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const hits = (await listRecords(ctx, kind)).filter((r) => r.id.startsWith(id));
  return hits.length === 1 ? hits[0] : undefined;
}

/** mustFind is findRecord where absence is NotFound. */
export async function mustFind(
  ctx: RuntimeContext,
  kind: 'sandbox' | 'container',
  id: string,
): Promise<ContainerRecord> {
  const r = await findRecord(ctx, kind, id);
  if (!r) {
    throw new SkiffError(
      'NotFound',
      `${kind === 'sandbox' ? 'pod sandbox' : 'container'} ${id} not found`,
    );
  }
  return r;
}

/** setLabels adds labels to a container record. */
export async function setLabels(
  ctx: RuntimeContext,
  id: string,
  labels: Record<string, string>,
): Promise<void> {
  await ctx.client.call('containers', 'Update', {
    container: { id, labels },
    updateMask: { paths: Object.keys(labels).map((k) => `labels.${k}`) },
  });
}

/** TaskState is a task's state as containerd reports it. */
export interface TaskState {
  status: 'UNKNOWN' | 'CREATED' | 'RUNNING' | 'STOPPED' | 'PAUSED' | 'PAUSING';
  pid: number;
  exitStatus: number;
  exitedAt?: { seconds: number; nanos: number } | null;
}

/** taskOf returns a container's task, or undefined when it has none. */
export async function taskOf(ctx: RuntimeContext, id: string): Promise<TaskState | undefined> {
  try {
    const { process } = await ctx.client.call<{ process: TaskState }>('tasks', 'Get', {
      containerId: id,
    });
    return process;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** matchesSelector tells whether labels carry every key and value of a selector. */
export function matchesSelector(
  labels: Record<string, string>,
  selector: Record<string, string> | undefined,
): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}
