import type { PodRuntime } from './observe.ts';
import { podLabel } from './runtime-objects.ts';

/**
 * runtimeObjectsByPod lists every runtime's sandboxes and containers once and groups their
 * `id:state` by pod uid: the agent's relist compares these to wake the pods that changed.
 */
export async function runtimeObjectsByPod(runtimes: PodRuntime[]): Promise<Map<string, string[]>> {
  const byPod = new Map<string, string[]>();
  const note = (uid: string | undefined, entry: string) => {
    if (uid) byPod.set(uid, [...(byPod.get(uid) ?? []), entry]);
  };
  for (const rt of runtimes) {
    const [sandboxes, containers] = await Promise.all([
      rt.client.listPodSandbox({}),
      rt.client.listContainers({}),
    ]);
    for (const s of sandboxes.items) note(s.labels[podLabel.uid], `${s.id}:${s.state}`);
    for (const c of containers.containers) note(c.labels[podLabel.uid], `${c.id}:${c.state}`);
  }
  return byPod;
}

/**
 * stopAllSandboxes stops the running containers and the ready sandboxes of every pod on one
 * runtime, each container within its pod's grace (seconds, by pod uid), as a node shutting down.
 */
export async function stopAllSandboxes(
  rt: PodRuntime,
  grace: (podUid: string) => number,
): Promise<void> {
  const sandboxes = await rt.client.listPodSandbox({});
  await Promise.all(
    sandboxes.items
      .filter((s) => s.labels[podLabel.uid] && s.state === 'SANDBOX_READY')
      .map(async (s) => {
        const timeout = grace(s.labels[podLabel.uid] ?? '');
        const inside = await rt.client.listContainers({ filter: { podSandboxId: s.id } });
        await Promise.all(
          inside.containers
            .filter((c) => c.state === 'CONTAINER_RUNNING')
            .map((c) => rt.client.stopContainer({ containerId: c.id, timeout })),
        );
        await rt.client.stopPodSandbox({ podSandboxId: s.id });
      }),
  );
}
