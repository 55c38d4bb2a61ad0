import type Docker from 'dockerode';
import { SkiffError } from '../../sdk/errors.ts';

/**
 * label holds the Docker label keys that tie each Docker object to its runtime.v1 identity.
 * Everything the adapter reports is read back from these, so a new adapter process knows
 * every sandbox and container without any state of its own.
 */
export const label = {
  kind: 'io.skiff.runtime.kind',
  sandboxId: 'io.skiff.runtime.sandbox-id',
  metadata: 'io.skiff.runtime.metadata',
  labels: 'io.skiff.runtime.labels',
  annotations: 'io.skiff.runtime.annotations',
  created: 'io.skiff.runtime.created',
  logPath: 'io.skiff.runtime.log-path',
  logDirectory: 'io.skiff.runtime.log-directory',
  image: 'io.skiff.runtime.image',
  mounts: 'io.skiff.runtime.mounts',
  network: 'io.skiff.runtime.managed-network',
} as const;

/** ObjectKind tells sandboxes' infra containers from workload containers. */
export type ObjectKind = 'sandbox' | 'container';

/** DockerRuntimeOptions configures the adapter (plugin config or command-line flags). */
export interface DockerRuntimeOptions {
  /** dockerHost is the Engine API socket (`unix:///var/run/docker.sock`). */
  dockerHost: string;
  /** network is the bridge network pods join; created when absent. */
  network: string;
  /** subnet is the pod address range of that network. */
  subnet: string;
  /** pauseImage is the sandbox image; built from busybox-static when absent. */
  pauseImage: string;
  /** importOnly makes an adapter that only imports images: no log copies, no streaming server. */
  importOnly: boolean;
}

/**
 * Remembered is what this process knows without asking Docker: the labels of the sandboxes it
 * has seen (fixed at creation) and the containers it created that nobody has started yet, with
 * their log paths. Docker stays the truth: a miss, or a call Docker refuses, falls back to an
 * inspect, and a restarted adapter starts with nothing remembered.
 */
export interface Remembered {
  readonly sandboxLabels: Map<string, Record<string, string>>;
  readonly unstarted: Map<string, { logPath: string }>;
}

/** DockerContext is what every part of the adapter shares. */
export interface DockerContext {
  readonly docker: Docker;
  readonly options: DockerRuntimeOptions;
  readonly remembered: Remembered;
}

/** rememberNothing is an empty Remembered, for a new adapter. */
export function rememberNothing(): Remembered {
  return { sandboxLabels: new Map(), unstarted: new Map() };
}

/** nowNanos is the current time in nanoseconds since the epoch, as a decimal string. */
export function nowNanos(): string {
  return (BigInt(Date.now()) * 1_000_000n).toString();
}

/** isoToNanos turns Docker's RFC 3339 times (nanosecond precision) into epoch nanoseconds. */
export function isoToNanos(iso: string | undefined): string {
  if (!iso || iso.startsWith('0001-01-01')) return '0';
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  if (!m) return '0';
  const seconds = BigInt(Math.floor(Date.parse(`${m[1]}${m[3]}`) / 1000));
  const fraction = BigInt((m[2] ?? '').padEnd(9, '0').slice(0, 9));
  return (seconds * 1_000_000_000n + fraction).toString();
}

/** parseJsonLabel reads a JSON-valued label, or the fallback when it is absent or broken. */
export function parseJsonLabel<T>(
  labels: Record<string, string> | undefined,
  key: string,
  fallback: T,
): T {
  const text = labels?.[key];
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** matchesSelector tells whether labels hold every key and value of a selector. */
export function matchesSelector(
  labels: Record<string, string>,
  selector: Record<string, string> | undefined,
): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

/** statusCode is the HTTP status of a Docker Engine API error, if it is one. */
export function statusCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err
    ? (err as { statusCode: number }).statusCode
    : undefined;
}

/** dockerMessage is the message Docker gave for a failed call. */
export function dockerMessage(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'json' in err) {
    const json = (err as { json?: { message?: string } }).json;
    if (json?.message) return json.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/** ObjectSummary is a Docker container known to belong to the adapter. */
export interface ObjectSummary {
  id: string;
  kind: ObjectKind;
  state: string;
  labels: Record<string, string>;
  imageId: string;
}

/** listObjects lists the adapter's Docker containers of one kind, optionally of one sandbox. */
export async function listObjects(
  ctx: DockerContext,
  kind: ObjectKind,
  sandboxId?: string,
): Promise<ObjectSummary[]> {
  const filters: string[] = [`${label.kind}=${kind}`];
  if (sandboxId) filters.push(`${label.sandboxId}=${sandboxId}`);
  const list = await ctx.docker.listContainers({ all: true, filters: { label: filters } });
  return list.map((c) => ({
    id: c.Id,
    kind,
    state: c.State,
    labels: c.Labels ?? {},
    imageId: c.ImageID,
  }));
}

/**
 * inspectObject returns the Docker container behind a runtime id, checking it is of the
 * expected kind; an unknown id (or one of the other kind) is NotFound.
 */
export async function inspectObject(
  ctx: DockerContext,
  kind: ObjectKind,
  id: string,
): Promise<Docker.ContainerInspectInfo> {
  const what = kind === 'sandbox' ? 'pod sandbox' : 'container';
  if (!id) throw new SkiffError('Invalid', `${what} id is empty`);
  // Full ids only: a prefix would let one id name another object.
  if (!/^[a-f0-9]{64}$/.test(id)) throw new SkiffError('NotFound', `${what} ${id} not found`);
  try {
    const info = await ctx.docker.getContainer(id).inspect();
    if (info.Config.Labels?.[label.kind] !== kind) {
      throw new SkiffError('NotFound', `${what} ${id} not found`);
    }
    return info;
  } catch (err) {
    if (statusCode(err) === 404) throw new SkiffError('NotFound', `${what} ${id} not found`);
    throw err;
  }
}
