import { dirname } from 'node:path';
import { isNotFound } from './client.ts';
import type { Mount } from './content.ts';
import { snapshotter } from './content.ts';
import {
  type ContainerRecord,
  ioDir,
  label,
  nowNanos,
  type RuntimeContext,
  runcRoot,
  setLabels,
  taskOf,
} from './context.ts';
import { runcOptions } from './spec.ts';
import { CriLogWriter, makeFifos, removeFifos } from './task-io.ts';

const finishing = new Map<string, Promise<void>>();

function nanosOf(ts: { seconds: number; nanos: number } | null | undefined): string {
  if (!ts || (!ts.seconds && !ts.nanos)) return nowNanos();
  return (BigInt(ts.seconds) * 1_000_000_000n + BigInt(ts.nanos)).toString();
}

/**
 * finishTask records the exit of a container's task (code and time in its labels), deletes
 * the task and its shim, and closes the log copy. Concurrent calls share one run.
 */
export function finishTask(ctx: RuntimeContext, id: string): Promise<void> {
  let run = finishing.get(id);
  if (!run) {
    run = (async () => {
      try {
        const r = await ctx.client.call<{
          exitStatus: number;
          exitedAt: { seconds: number; nanos: number };
        }>('tasks', 'Delete', { containerId: id });
        await setLabels(ctx, id, {
          [label.exitCode]: String(r.exitStatus),
          [label.finishedAt]: nanosOf(r.exitedAt),
        }).catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      } finally {
        await ctx.logs.get(id)?.close();
        ctx.logs.delete(id);
        removeFifos(dirname(ioDir(ctx, id)));
      }
    })().finally(() => finishing.delete(id));
    finishing.set(id, run);
  }
  return run;
}

/** isFinishing tells whether the exit of a container's task is being recorded. */
export function isFinishing(id: string): boolean {
  return finishing.has(id);
}

/** settled waits for a finish of the container's task that is under way, if any. */
export async function settled(id: string): Promise<void> {
  await finishing.get(id)?.catch(() => {});
}

/** TaskStartOptions are what a caller already knows, or still works out, at a task's start. */
export interface TaskStartOptions {
  /** mounts of the container's snapshot, when its Prepare just answered them. */
  mounts?: Mount[];
  /** labels still being worked out (the sandbox's address), recorded with the start time. */
  labels?: Promise<Record<string, string>>;
}

/**
 * startTask creates and starts a container's task on its snapshot, its output copied to the
 * CRI log file when one is given. The start time (and any further labels) is recorded while
 * the shim and runc create the task, and always before the process runs, so a status read while
 * a quick process exits sees it. A failure deletes the task again.
 */
export async function startTask(
  ctx: RuntimeContext,
  record: ContainerRecord,
  logPath: string | undefined,
  options: TaskStartOptions = {},
): Promise<number> {
  const created = (async () => {
    const [{ mounts }, fifos] = await Promise.all([
      options.mounts
        ? { mounts: options.mounts }
        : ctx.client.call<{ mounts: Mount[] }>('snapshots', 'Mounts', {
            snapshotter,
            key: record.snapshotKey,
          }),
      logPath ? makeFifos(ioDir(ctx, record.id)) : undefined,
    ]);
    if (fifos && logPath) ctx.logs.set(record.id, new CriLogWriter(fifos, logPath));
    await ctx.client.call('tasks', 'Create', {
      containerId: record.id,
      rootfs: mounts,
      stdin: '',
      stdout: fifos?.stdout ?? '',
      stderr: fifos?.stderr ?? '',
      terminal: false,
      options: runcOptions(runcRoot(ctx)),
    });
  })();
  const labelled = (async () => {
    const extra = options.labels ? await options.labels : {};
    await setLabels(ctx, record.id, { ...extra, [label.startedAt]: nowNanos() });
  })();
  try {
    const outcomes = await Promise.allSettled([created, labelled]);
    for (const o of outcomes) if (o.status === 'rejected') throw o.reason;
    const { pid } = await ctx.client.call<{ pid: number }>('tasks', 'Start', {
      containerId: record.id,
    });
    return pid;
  } catch (err) {
    await ctx.client
      .call('tasks', 'Kill', { containerId: record.id, signal: 9, all: true })
      .catch(() => {});
    await ctx.client.call('tasks', 'Delete', { containerId: record.id }).catch(() => {});
    await ctx.logs.get(record.id)?.close();
    ctx.logs.delete(record.id);
    removeFifos(dirname(ioDir(ctx, record.id)));
    throw err;
  }
}

async function exited(ctx: RuntimeContext, id: string, untilMs: number): Promise<boolean> {
  while (Date.now() < untilMs) {
    const t = await taskOf(ctx, id);
    if (!t || t.status === 'STOPPED') return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/**
 * stopTask sends SIGTERM, waits up to the grace period, then kills every process of the
 * task, and finishes it. A container without a task is already stopped.
 */
export async function stopTask(
  ctx: RuntimeContext,
  id: string,
  graceSeconds: number,
): Promise<void> {
  const task = await taskOf(ctx, id);
  if (!task) return;
  if (task.status === 'RUNNING' || task.status === 'PAUSED' || task.status === 'CREATED') {
    if (graceSeconds > 0) {
      await ctx.client.call('tasks', 'Kill', { containerId: id, signal: 15 }).catch(() => {});
      if (!(await exited(ctx, id, Date.now() + graceSeconds * 1000))) {
        await ctx.client
          .call('tasks', 'Kill', { containerId: id, signal: 9, all: true })
          .catch(() => {});
      }
    } else {
      await ctx.client
        .call('tasks', 'Kill', { containerId: id, signal: 9, all: true })
        .catch(() => {});
    }
    await exited(ctx, id, Date.now() + 30_000);
  }
  await finishTask(ctx, id);
}
