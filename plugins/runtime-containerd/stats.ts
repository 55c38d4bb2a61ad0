import type { RpcRequestReceived, RpcResponse } from '../../sdk/runtime/rpcs.ts';
import { runningRecord } from './containers.ts';
import {
  type ContainerRecord,
  label,
  listRecords,
  matchesSelector,
  mustFind,
  nowNanos,
  parseJson,
  type RuntimeContext,
  taskOf,
} from './context.ts';
import { decodeFields as decode, type Fields } from './wire.ts';

const sub = (f: Fields, n: number): Fields => {
  const v = f.get(n)?.[0];
  return Buffer.isBuffer(v) ? decode(v) : new Map();
};
const num = (f: Fields, n: number): bigint => {
  const v = f.get(n)?.[0];
  return typeof v === 'bigint' ? v : 0n;
};

/** CgroupSample is what the adapter reads from a task's cgroup metrics. */
export interface CgroupSample {
  cpuNanos: bigint;
  memoryUsage: bigint;
  workingSet: bigint;
}

/** decodeCgroupMetrics reads CPU time and memory use from io.containerd.cgroups.v1.Metrics bytes. */
export function decodeCgroupMetrics(data: Buffer): CgroupSample {
  const m = decode(data);
  const cpu = num(sub(sub(m, 3), 1), 1);
  const memory = sub(m, 4);
  const usage = num(sub(memory, 33), 2);
  const inactive = num(memory, 30);
  return {
    cpuNanos: cpu,
    memoryUsage: usage,
    workingSet: usage > inactive ? usage - inactive : 0n,
  };
}

async function sampleOf(ctx: RuntimeContext, id: string): Promise<CgroupSample | undefined> {
  const { metrics } = await ctx.client.call<{
    metrics: { id: string; data: { value: Buffer } | null }[];
  }>('tasks', 'Metrics', { filters: [`id==${id}`] });
  const data = metrics.find((m) => m.id === id)?.data?.value;
  return data ? decodeCgroupMetrics(data) : undefined;
}

async function statsOf(ctx: RuntimeContext, record: ContainerRecord) {
  const sample = await sampleOf(ctx, record.id);
  const timestamp = nowNanos();
  return {
    attributes: {
      id: record.id,
      metadata: parseJson(record.labels, label.metadata, {}),
      labels: parseJson<Record<string, string>>(record.labels, label.labels, {}),
      annotations: parseJson<Record<string, string>>(record.labels, label.annotations, {}),
    },
    cpu: { timestamp, usageCoreNanoSeconds: { value: String(sample?.cpuNanos ?? 0n) } },
    memory: {
      timestamp,
      workingSetBytes: { value: String(sample?.workingSet ?? 0n) },
      usageBytes: { value: String(sample?.memoryUsage ?? 0n) },
    },
    writableLayer: { timestamp, fsId: { mountpoint: '' }, usedBytes: { value: '0' } },
  };
}

/** containerStats answers ContainerStats from the task's cgroup metrics. */
export async function containerStats(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'ContainerStats'>,
): Promise<RpcResponse<'ContainerStats'>> {
  const record = await runningRecord(ctx, req.containerId);
  return { stats: await statsOf(ctx, record) };
}

/** listContainerStats answers ListContainerStats for the running containers the filter picks. */
export async function listContainerStats(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'ListContainerStats'>,
): Promise<RpcResponse<'ListContainerStats'>> {
  const f = req.filter;
  const stats = [];
  for (const r of await listRecords(ctx, 'container', f?.podSandboxId || undefined)) {
    if (f?.id && !r.id.startsWith(f.id)) continue;
    if (!matchesSelector(parseJson(r.labels, label.labels, {}), f?.labelSelector)) continue;
    if ((await taskOf(ctx, r.id))?.status !== 'RUNNING') continue;
    stats.push(await statsOf(ctx, r));
  }
  return { stats };
}

/**
 * sandboxStatsOf sums the infra task's and the running containers' cgroup samples for the pod
 * (each container has its own cgroup; there is no pod-level one to read).
 */
async function sandboxStatsOf(ctx: RuntimeContext, sandbox: ContainerRecord) {
  const containers: Awaited<ReturnType<typeof statsOf>>[] = [];
  for (const r of await listRecords(ctx, 'container', sandbox.id)) {
    if ((await taskOf(ctx, r.id))?.status === 'RUNNING') containers.push(await statsOf(ctx, r));
  }
  const infra = await sampleOf(ctx, sandbox.id);
  const total = (pick: (s: (typeof containers)[number]) => string | undefined, own: bigint) =>
    String(containers.reduce((sum, c) => sum + BigInt(pick(c) ?? '0'), own));
  const timestamp = nowNanos();
  return {
    attributes: {
      id: sandbox.id,
      metadata: parseJson(sandbox.labels, label.metadata, {}),
      labels: parseJson<Record<string, string>>(sandbox.labels, label.labels, {}),
      annotations: parseJson<Record<string, string>>(sandbox.labels, label.annotations, {}),
    },
    linux: {
      cpu: {
        timestamp,
        usageCoreNanoSeconds: {
          value: total((c) => c.cpu.usageCoreNanoSeconds.value, infra?.cpuNanos ?? 0n),
        },
      },
      memory: {
        timestamp,
        workingSetBytes: {
          value: total((c) => c.memory.workingSetBytes.value, infra?.workingSet ?? 0n),
        },
        usageBytes: { value: total((c) => c.memory.usageBytes.value, infra?.memoryUsage ?? 0n) },
      },
      containers,
    },
  };
}

/** podSandboxStats answers PodSandboxStats; an unknown sandbox is NotFound. */
export async function podSandboxStats(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'PodSandboxStats'>,
): Promise<RpcResponse<'PodSandboxStats'>> {
  const sandbox = await mustFind(ctx, 'sandbox', req.podSandboxId);
  return { stats: await sandboxStatsOf(ctx, sandbox) };
}

/** listPodSandboxStats answers ListPodSandboxStats for the ready sandboxes the filter picks. */
export async function listPodSandboxStats(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'ListPodSandboxStats'>,
): Promise<RpcResponse<'ListPodSandboxStats'>> {
  const f = req.filter;
  const stats = [];
  for (const s of await listRecords(ctx, 'sandbox')) {
    if (f?.id && !s.id.startsWith(f.id)) continue;
    if (!matchesSelector(parseJson(s.labels, label.labels, {}), f?.labelSelector)) continue;
    if ((await taskOf(ctx, s.id))?.status !== 'RUNNING') continue;
    stats.push(await sandboxStatsOf(ctx, s));
  }
  return { stats };
}
