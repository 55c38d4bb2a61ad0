// Containers' CPU and memory inside a guest: the agent accounts each container in a cgroup of
// its own (guest/cgroup.c) and answers STATS with the figures, UPDATE with new limits.
import type { GuestChannel } from './channel.ts';
import { frameType } from './guest/frames.ts';
import type { GuestLimits } from './guest/specs.ts';

/** ContainerUsage is one container's figures as the guest reports them. */
export interface ContainerUsage {
  name: string;
  /** cpuNanos is the CPU time its processes used, in nanoseconds. */
  cpuNanos: bigint;
  /** memoryBytes is all the memory charged to it, page cache included. */
  memoryBytes: bigint;
  /** workingSetBytes is memoryBytes less inactive file pages, as the kubelet counts it. */
  workingSetBytes: bigint;
}

/** parseUsage reads a STATS answer: a `container` line opens each container's figures. */
export function parseUsage(fields: readonly (readonly [string, string])[]): ContainerUsage[] {
  const out: ContainerUsage[] = [];
  const big = (v: string) => (/^\d+$/.test(v) ? BigInt(v) : 0n);
  for (const [key, value] of fields) {
    if (key === 'container') {
      out.push({ name: value, cpuNanos: 0n, memoryBytes: 0n, workingSetBytes: 0n });
      continue;
    }
    const last = out.at(-1);
    if (!last) continue;
    if (key === 'cpu.usec') last.cpuNanos = big(value) * 1000n;
    else if (key === 'memory.bytes') last.memoryBytes = big(value);
    else if (key === 'memory.workingset') last.workingSetBytes = big(value);
  }
  return out;
}

/** containerUsage asks the guest for the figures of the named containers (all when none). */
export async function containerUsage(
  channel: GuestChannel,
  names: readonly string[] = [],
): Promise<ContainerUsage[]> {
  return parseUsage(
    await channel.request(
      frameType.stats,
      names.map((n) => ['container', n] as const),
    ),
  );
}

/** updateLimits sets a running container's cgroup limits inside the guest. */
export async function updateLimits(
  channel: GuestChannel,
  name: string,
  limits: GuestLimits,
): Promise<void> {
  const fields: [string, string][] = [['container', name]];
  if (limits.cpuMax) fields.push(['cpu.max', limits.cpuMax]);
  if (limits.memoryMax) fields.push(['memory.max', limits.memoryMax]);
  await channel.request(frameType.update, fields);
}

/**
 * limitsOf turns CRI Linux resources into cgroup v2 limits: a CPU quota over its period
 * (100 ms when unset) and a memory limit in bytes; zero or absent means no limit.
 */
export function limitsOf(
  resources:
    | {
        cpuQuota?: string | number;
        cpuPeriod?: string | number;
        memoryLimitInBytes?: string | number;
      }
    | null
    | undefined,
): GuestLimits {
  const quota = Number(resources?.cpuQuota ?? 0);
  const period = Number(resources?.cpuPeriod ?? 0) || 100_000;
  const memory = Number(resources?.memoryLimitInBytes ?? 0);
  return {
    cpuMax: quota > 0 ? `${quota} ${period}` : `max ${period}`,
    memoryMax: memory > 0 ? String(memory) : 'max',
  };
}
