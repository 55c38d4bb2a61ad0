import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RpcRequestReceived } from '../../sdk/runtime/rpcs.ts';

/** SandboxConfig is a RunPodSandbox request's config as received. */
export type SandboxConfig = NonNullable<RpcRequestReceived<'RunPodSandbox'>['config']>;
/** ContainerConfig is a CreateContainer request's config as received. */
export type ContainerConfig = NonNullable<RpcRequestReceived<'CreateContainer'>['config']>;

/** SandboxRecord is what the adapter keeps of a sandbox (its VM) on disk. */
export interface SandboxRecord {
  id: string;
  config: SandboxConfig;
  /** createdAt is in nanoseconds since the epoch, as the CRI wants it. */
  createdAt: string;
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  ip: string;
  hostname: string;
  /** accel is how this sandbox's VM runs guest code. */
  accel: string;
}

/** ContainerRecord is what the adapter keeps of a container on disk. */
export interface ContainerRecord {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  /** guestName is the container's name inside the guest (its id, shortened). */
  guestName: string;
  imageId: string;
  /** argv, env and cwd are the process the container runs, image defaults applied. */
  argv: string[];
  env: string[];
  cwd: string;
  logPath: string;
  state: 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED';
  createdAt: string;
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  reason: string;
  message: string;
}

/** nowNanos is the current time in nanoseconds since the epoch, as a decimal string. */
export function nowNanos(): string {
  return (BigInt(Date.now()) * 1_000_000n).toString();
}

/** newId makes a 64-hex-digit id, the shape CRI ids have. */
export function newId(): string {
  return randomBytes(32).toString('hex');
}

/** matchesLabels tells whether labels hold every pair of a selector. */
export function matchesLabels(
  labels: Record<string, string>,
  selector: Record<string, string> | undefined,
): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

function writeJson(path: string, value: unknown): void {
  const tmp = `${path}.${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, path);
}

function readJsonDir<T>(dir: string): T[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: T[] = [];
  for (const n of names.filter((f) => f.endsWith('.json'))) {
    try {
      out.push(JSON.parse(readFileSync(join(dir, n), 'utf8')) as T);
    } catch {
      // A record cut short by a crash mid-write never replaced the old one (rename is atomic).
    }
  }
  return out;
}

/**
 * RecordStore keeps sandbox and container records as JSON files under the adapter's root and
 * in memory; every change is written before the call that made it answers.
 */
export class RecordStore {
  readonly sandboxes = new Map<string, SandboxRecord>();
  readonly containers = new Map<string, ContainerRecord>();

  constructor(readonly root: string) {
    mkdirSync(join(root, 'sandboxes'), { recursive: true });
    mkdirSync(join(root, 'containers'), { recursive: true });
    for (const s of readJsonDir<SandboxRecord>(join(root, 'sandboxes')))
      this.sandboxes.set(s.id, s);
    for (const c of readJsonDir<ContainerRecord>(join(root, 'containers'))) {
      this.containers.set(c.id, c);
    }
  }

  /**
   * vmDir is the directory of a sandbox's VM (sockets, logs, share), named by the id's first
   * 16 digits: unix socket paths must stay under 108 bytes.
   */
  vmDir(sandboxId: string): string {
    return join(this.root, 'vms', sandboxId.slice(0, 16));
  }

  saveSandbox(s: SandboxRecord): void {
    this.sandboxes.set(s.id, s);
    writeJson(join(this.root, 'sandboxes', `${s.id}.json`), s);
  }

  deleteSandbox(id: string): void {
    this.sandboxes.delete(id);
    rmSync(join(this.root, 'sandboxes', `${id}.json`), { force: true });
  }

  saveContainer(c: ContainerRecord): void {
    this.containers.set(c.id, c);
    writeJson(join(this.root, 'containers', `${c.id}.json`), c);
  }

  deleteContainer(id: string): void {
    this.containers.delete(id);
    rmSync(join(this.root, 'containers', `${id}.json`), { force: true });
  }

  /** containersOf lists a sandbox's containers. */
  containersOf(sandboxId: string): ContainerRecord[] {
    return [...this.containers.values()].filter((c) => c.sandboxId === sandboxId);
  }
}
