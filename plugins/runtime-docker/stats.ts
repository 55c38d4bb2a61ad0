import type { RpcRequestReceived, RpcResponse } from '../../sdk/runtime/rpcs.ts';
import {
  type DockerContext,
  inspectObject,
  label,
  listObjects,
  matchesSelector,
  nowNanos,
  parseJsonLabel,
} from './labels.ts';

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

type SandboxStatsMessage = NonNullable<RpcResponse<'PodSandboxStats'>['stats']>;

/** sandboxStatsOf sums the stats of a sandbox's running containers and its infra container. */
export async function sandboxStatsOf(
  ctx: DockerContext,
  sandboxId: string,
  labels: Record<string, string>,
): Promise<SandboxStatsMessage> {
  const members = (await listObjects(ctx, 'container', sandboxId)).filter(
    (c) => c.state === 'running',
  );
  const containers = await Promise.all(members.map((c) => statsOf(ctx, c.id, c.labels)));
  const infra = await statsOf(ctx, sandboxId, labels).catch(() => undefined);
  const sum = (pick: (s: StatsMessage) => string | undefined) =>
    [...containers, ...(infra ? [infra] : [])]
      .reduce((total, s) => total + BigInt(pick(s) ?? 0), 0n)
      .toString();
  const now = nowNanos();
  return {
    attributes: {
      id: sandboxId,
      metadata: parseJsonLabel(labels, label.metadata, {}),
      labels: parseJsonLabel(labels, label.labels, {}),
      annotations: parseJsonLabel(labels, label.annotations, {}),
    },
    linux: {
      cpu: {
        timestamp: now,
        usageCoreNanoSeconds: { value: sum((s) => s.cpu?.usageCoreNanoSeconds?.value as string) },
      },
      memory: {
        timestamp: now,
        workingSetBytes: { value: sum((s) => s.memory?.workingSetBytes?.value as string) },
      },
      containers,
    },
  };
}

/** podSandboxStats answers PodSandboxStats. */
export async function podSandboxStats(
  ctx: DockerContext,
  req: RpcRequestReceived<'PodSandboxStats'>,
): Promise<RpcResponse<'PodSandboxStats'>> {
  const info = await inspectObject(ctx, 'sandbox', req.podSandboxId);
  return { stats: await sandboxStatsOf(ctx, info.Id, info.Config.Labels ?? {}) };
}

/** listPodSandboxStats answers ListPodSandboxStats for the ready sandboxes the filter selects. */
export async function listPodSandboxStats(
  ctx: DockerContext,
  req: RpcRequestReceived<'ListPodSandboxStats'>,
): Promise<RpcResponse<'ListPodSandboxStats'>> {
  const f = req.filter;
  const ready = (await listObjects(ctx, 'sandbox')).filter(
    (s) =>
      s.state === 'running' &&
      (!f?.id || s.id.startsWith(f.id)) &&
      matchesSelector(parseJsonLabel(s.labels, label.labels, {}), f?.labelSelector),
  );
  return { stats: await Promise.all(ready.map((s) => sandboxStatsOf(ctx, s.id, s.labels))) };
}
