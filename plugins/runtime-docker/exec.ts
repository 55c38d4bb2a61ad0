import { PassThrough } from 'node:stream';
import { SkiffError } from '../../sdk/errors.ts';
import type { RpcRequestReceived, RpcResponse } from '../../sdk/runtime/rpcs.ts';
import { type DockerContext, inspectObject, label, nowNanos, parseJsonLabel } from './labels.ts';

/** execSync runs a command in a running container and returns its output and exit code. */
export async function execSync(
  ctx: DockerContext,
  req: RpcRequestReceived<'ExecSync'>,
): Promise<RpcResponse<'ExecSync'>> {
  if (req.cmd.length === 0) throw new SkiffError('Invalid', 'exec command is empty');
  const info = await inspectObject(ctx, 'container', req.containerId);
  if (!info.State.Running)
    throw new SkiffError('FailedPrecondition', `container ${info.Id} is not running`);
  const exec = await ctx.docker.getContainer(info.Id).exec({
    Cmd: req.cmd,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const out = new PassThrough().on('data', (c: Buffer) => stdout.push(c));
  const err = new PassThrough().on('data', (c: Buffer) => stderr.push(c));
  ctx.docker.modem.demuxStream(stream, out, err);
  const ended = new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
  const timeoutSeconds = Number(req.timeout);
  let timer: NodeJS.Timeout | undefined;
  const timedOut =
    timeoutSeconds > 0
      ? new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), timeoutSeconds * 1000);
        })
      : new Promise<never>(() => {});
  const outcome = await Promise.race([ended, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    stream.destroy();
    throw new SkiffError(
      'Timeout',
      `command ${JSON.stringify(req.cmd)} timed out after ${timeoutSeconds}s`,
    );
  }
  const result = await exec.inspect();
  return {
    stdout: Buffer.concat(stdout),
    stderr: Buffer.concat(stderr),
    exitCode: result.ExitCode ?? 0,
  };
}

type StatsMessage = NonNullable<RpcResponse<'ContainerStats'>['stats']>;

interface DockerStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; stats?: Record<string, number> };
}

/** statsOf reads one sample of Docker's stats for a container and shapes it as the CRI asks. */
export async function statsOf(
  ctx: DockerContext,
  id: string,
  labels: Record<string, string>,
): Promise<StatsMessage> {
  const raw = (await ctx.docker
    .getContainer(id)
    .stats({ stream: false })) as unknown as DockerStats;
  const now = nowNanos();
  const usage = raw.memory_stats?.usage ?? 0;
  const s = raw.memory_stats?.stats ?? {};
  // The working set leaves out page cache the kernel can drop (cgroup v1 and v2 names).
  const inactive = s.total_inactive_file ?? s.inactive_file ?? 0;
  return {
    attributes: {
      id,
      metadata: parseJsonLabel(labels, label.metadata, {}),
      labels: parseJsonLabel(labels, label.labels, {}),
      annotations: parseJsonLabel(labels, label.annotations, {}),
    },
    cpu: {
      timestamp: now,
      usageCoreNanoSeconds: { value: String(raw.cpu_stats?.cpu_usage?.total_usage ?? 0) },
    },
    memory: {
      timestamp: now,
      workingSetBytes: { value: String(Math.max(0, usage - inactive)) },
      usageBytes: { value: String(usage) },
    },
    writableLayer: { timestamp: now, fsId: { mountpoint: '' }, usedBytes: { value: '0' } },
  };
}

/** containerStats answers ContainerStats. */
export async function containerStats(
  ctx: DockerContext,
  req: RpcRequestReceived<'ContainerStats'>,
): Promise<RpcResponse<'ContainerStats'>> {
  const info = await inspectObject(ctx, 'container', req.containerId);
  return { stats: await statsOf(ctx, info.Id, info.Config.Labels ?? {}) };
}
