// Container and sandbox stats and UpdateContainerResources: the figures and limits
// live in each guest (one cgroup per container there), asked for over the agent channel.
import type { RpcRequestReceived, RpcResponse } from '../../sdk/runtime/rpcs.ts';
import { runningContainer } from './containers.ts';
import { containerOf, type RuntimeContext, sandboxOf } from './context.ts';
import { type ContainerRecord, matchesLabels, nowNanos, type SandboxRecord } from './state.ts';
import { type ContainerUsage, containerUsage, limitsOf, updateLimits } from './usage.ts';

type Stats = NonNullable<RpcResponse<'ContainerStats'>['stats']>;

/** attributesOf names a container or sandbox in its stats: id, metadata, labels, annotations. */
function attributesOf(r: ContainerRecord | SandboxRecord) {
  return {
    id: r.id,
    metadata: r.config.metadata,
    labels: r.config.labels,
    annotations: r.config.annotations,
  };
}

function statsMessage(c: ContainerRecord, usage: ContainerUsage | undefined): Stats {
  const timestamp = nowNanos();
  return {
    attributes: attributesOf(c),
    cpu: { timestamp, usageCoreNanoSeconds: { value: String(usage?.cpuNanos ?? 0n) } },
    memory: {
      timestamp,
      workingSetBytes: { value: String(usage?.workingSetBytes ?? 0n) },
      usageBytes: { value: String(usage?.memoryBytes ?? 0n) },
    },
    // The writable layer is the guest's tmpfs, counted in the container's memory.
    writableLayer: { timestamp, fsId: { mountpoint: '' }, usedBytes: { value: '0' } },
  } as Stats;
}

/** containerStats answers ContainerStats for a running container from its guest's figures. */
export async function containerStats(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'ContainerStats'>,
): Promise<RpcResponse<'ContainerStats'>> {
  const { c, live } = runningContainer(ctx, req.containerId);
  const [usage] = await containerUsage(live.channel, [c.guestName]);
  return { stats: statsMessage(c, usage) };
}

/** listContainerStats answers for the running containers the filter picks, one request per VM. */
export async function listContainerStats(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'ListContainerStats'>,
): Promise<RpcResponse<'ListContainerStats'>> {
  const f = req.filter;
  const picked = [...ctx.records.containers.values()]
    .filter((c) => c.state === 'CONTAINER_RUNNING')
    .filter((c) => !f?.id || c.id.startsWith(f.id))
    .filter((c) => !f?.podSandboxId || c.sandboxId === f.podSandboxId)
    .filter((c) => matchesLabels(c.config.labels, f?.labelSelector));
  const bySandbox = new Map<string, ContainerRecord[]>();
  for (const c of picked) bySandbox.set(c.sandboxId, [...(bySandbox.get(c.sandboxId) ?? []), c]);
  const stats: Stats[] = [];
  for (const [sandboxId, cs] of bySandbox) {
    const live = ctx.live.get(sandboxId);
    if (!live) continue;
    const usage = await containerUsage(
      live.channel,
      cs.map((c) => c.guestName),
    );
    for (const c of cs)
      stats.push(
        statsMessage(
          c,
          usage.find((u) => u.name === c.guestName),
        ),
      );
  }
  return { stats };
}

/** updateContainerResources applies new CPU and memory limits inside the guest. */
export async function updateContainerResources(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'UpdateContainerResources'>,
): Promise<RpcResponse<'UpdateContainerResources'>> {
  const c = containerOf(ctx, req.containerId);
  if (c.state === 'CONTAINER_CREATED') {
    // Not in the guest yet: the limits go with the container when it starts.
    const linux = { ...(c.config.linux ?? {}), resources: req.linux };
    ctx.records.saveContainer({
      ...c,
      config: { ...c.config, linux } as ContainerRecord['config'],
    });
    return {};
  }
  const { live } = runningContainer(ctx, c.id);
  await updateLimits(live.channel, c.guestName, limitsOf(req.linux));
  return {};
}

type SandboxStats = NonNullable<RpcResponse<'PodSandboxStats'>['stats']>;

// A sandbox's figures are the sum of its running containers', all from one STATS request to
// its VM, as the Docker adapter sums its containers for the same message.
async function sandboxStatsOf(ctx: RuntimeContext, s: SandboxRecord): Promise<SandboxStats> {
  const members = [...ctx.records.containers.values()].filter(
    (c) => c.sandboxId === s.id && c.state === 'CONTAINER_RUNNING',
  );
  const live = ctx.live.get(s.id);
  const usage = live && members.length > 0 ? await containerUsage(live.channel) : [];
  const containers = members.map((c) =>
    statsMessage(
      c,
      usage.find((u) => u.name === c.guestName),
    ),
  );
  const sum = (pick: (u: ContainerUsage) => bigint) =>
    members
      .map((c) => usage.find((u) => u.name === c.guestName))
      .reduce((total, u) => total + (u ? pick(u) : 0n), 0n)
      .toString();
  const timestamp = nowNanos();
  return {
    attributes: attributesOf(s),
    linux: {
      cpu: { timestamp, usageCoreNanoSeconds: { value: sum((u) => u.cpuNanos) } },
      memory: {
        timestamp,
        workingSetBytes: { value: sum((u) => u.workingSetBytes) },
        usageBytes: { value: sum((u) => u.memoryBytes) },
      },
      containers,
    },
  } as SandboxStats;
}

/** podSandboxStats answers PodSandboxStats for a ready sandbox from its guest's figures. */
export async function podSandboxStats(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'PodSandboxStats'>,
): Promise<RpcResponse<'PodSandboxStats'>> {
  const s = sandboxOf(ctx, req.podSandboxId);
  return { stats: await sandboxStatsOf(ctx, s) };
}

/** listPodSandboxStats answers for the ready sandboxes the filter picks. */
export async function listPodSandboxStats(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'ListPodSandboxStats'>,
): Promise<RpcResponse<'ListPodSandboxStats'>> {
  const f = req.filter;
  const picked = [...ctx.records.sandboxes.values()].filter(
    (s) =>
      s.state === 'SANDBOX_READY' &&
      (!f?.id || s.id.startsWith(f.id)) &&
      matchesLabels(s.config.labels ?? {}, f?.labelSelector),
  );
  const stats: SandboxStats[] = [];
  for (const s of picked) stats.push(await sandboxStatsOf(ctx, s));
  return { stats };
}
