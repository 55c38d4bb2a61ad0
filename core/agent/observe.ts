import type { Pod } from '../../sdk/api/core/pod.ts';
import type { RuntimeClient } from '../../sdk/runtime/client.ts';
import type { RpcResponseReceived } from '../../sdk/runtime/rpcs.ts';
import { podLabel } from './runtime-objects.ts';
import type { ContainerInstance } from './status.ts';

type RuntimeContainer = RpcResponseReceived<'ListContainers'>['containers'][number];
type RuntimeSandbox = RpcResponseReceived<'ListPodSandbox'>['items'][number];

/** PodRuntime is the runtime a pod runs on: its client, name (for container ids) and handler. */
export interface PodRuntime {
  client: RuntimeClient;
  /** name is the runtime's name from Version, the scheme of containerID. */
  name: string;
  handler: string;
}

/** Observed is what the runtime holds for one pod. */
export interface Observed {
  sandboxes: RuntimeSandbox[];
  /** ready is the newest ready sandbox, if any. */
  ready?: RuntimeSandbox;
  podIP?: string;
  /** byName holds each container name's instances, newest attempt first. */
  byName: Map<string, ContainerInstance[]>;
  /** running lists the running instances (for termination). */
  all: RuntimeContainer[];
}

const nsToMs = (ns: string | undefined): number | undefined => {
  const n = BigInt(ns || '0');
  return n > 0n ? Number(n / 1_000_000n) : undefined;
};

const states: Record<string, ContainerInstance['state']> = {
  CONTAINER_CREATED: 'created',
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
};

/** instanceOf reads one container's full status (exit code, times) from the runtime. */
export async function instanceOf(rt: PodRuntime, c: RuntimeContainer): Promise<ContainerInstance> {
  const base: ContainerInstance = {
    id: c.id,
    runtime: rt.name,
    attempt: c.metadata?.attempt ?? 0,
    state: states[String(c.state)] ?? 'unknown',
    image: c.image?.image,
    imageRef: c.imageRef,
  };
  try {
    const s = (await rt.client.containerStatus({ containerId: c.id })).status;
    if (!s) return base;
    return {
      ...base,
      state: states[String(s.state)] ?? 'unknown',
      startedAt: nsToMs(s.startedAt),
      finishedAt: nsToMs(s.finishedAt),
      exitCode: s.exitCode,
      reason: s.reason,
      message: s.message,
      image: s.image?.image || base.image,
      imageRef: s.imageRef || base.imageRef,
    };
  } catch {
    return base;
  }
}

/** observePod lists the pod's sandboxes and containers and reads the two newest of each name. */
export async function observePod(rt: PodRuntime, pod: Pod): Promise<Observed> {
  const uid = pod.metadata?.uid ?? '';
  const selector = { [podLabel.uid]: uid };
  const [sandboxes, containers] = await Promise.all([
    rt.client.listPodSandbox({ filter: { labelSelector: selector } }),
    rt.client.listContainers({ filter: { labelSelector: selector } }),
  ]);
  const ready = sandboxes.items
    .filter((s) => s.state === 'SANDBOX_READY')
    .sort((a, b) => Number(BigInt(b.createdAt) - BigInt(a.createdAt)))[0];
  let podIP: string | undefined;
  if (ready) {
    const st = await rt.client.podSandboxStatus({ podSandboxId: ready.id });
    podIP = st.status?.network?.ip || undefined;
  }
  const grouped = new Map<string, RuntimeContainer[]>();
  for (const c of containers.containers) {
    const name = c.labels[podLabel.container] ?? c.metadata?.name ?? '';
    grouped.set(name, [...(grouped.get(name) ?? []), c]);
  }
  const byName = new Map<string, ContainerInstance[]>();
  await Promise.all(
    [...grouped].map(async ([name, list]) => {
      list.sort(
        (a, b) =>
          (b.metadata?.attempt ?? 0) - (a.metadata?.attempt ?? 0) ||
          Number(BigInt(b.createdAt) - BigInt(a.createdAt)),
      );
      // Only the newest two matter for status; older ones just need their ids for clean-up.
      const detailed = await Promise.all(list.slice(0, 2).map((c) => instanceOf(rt, c)));
      const rest = list.slice(2).map(
        (c): ContainerInstance => ({
          id: c.id,
          runtime: rt.name,
          attempt: c.metadata?.attempt ?? 0,
          state: states[String(c.state)] ?? 'unknown',
        }),
      );
      byName.set(name, [...detailed, ...rest]);
    }),
  );
  return { sandboxes: sandboxes.items, ready, podIP, byName, all: containers.containers };
}
