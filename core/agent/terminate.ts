import type { Container } from '../../sdk/api/core/container.ts';

type LifecycleHandler = NonNullable<NonNullable<Container['lifecycle']>['preStop']>;

import type { Pod } from '../../sdk/api/core/pod.ts';
import { containerFieldPath, type EventRecorder } from './events.ts';
import { observePod, type PodRuntime } from './observe.ts';
import { podLabel } from './runtime-objects.ts';

/** minimumGraceSeconds is the least a container gets after its preStop hook, as the kubelet gives. */
const minimumGraceSeconds = 2;

/** gracePeriodSeconds is how long the pod's containers get to stop, counted from now. */
export function gracePeriodSeconds(pod: Pod, now = Date.now()): number {
  const deadline = pod.metadata?.deletionTimestamp;
  const declared =
    pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  if (!deadline) return declared;
  return Math.max(0, Math.min(declared, Math.ceil((Date.parse(deadline) - now) / 1000)));
}

async function runPreStop(
  rt: PodRuntime,
  hook: LifecycleHandler,
  containerId: string,
  podIP: string | undefined,
  container: Container,
  seconds: number,
): Promise<string | undefined> {
  if (hook.exec?.command?.length) {
    const r = await rt.client.execSync({ containerId, cmd: hook.exec.command, timeout: seconds });
    return r.exitCode === 0
      ? undefined
      : `command ${JSON.stringify(hook.exec.command)} exited with ${r.exitCode}: ${Buffer.from(r.stderr).toString()}`;
  }
  if (hook.httpGet) {
    const portName = hook.httpGet.port;
    const port =
      typeof portName === 'number' || /^\d+$/.test(String(portName))
        ? Number(portName)
        : container.ports?.find((p) => p.name === portName)?.containerPort;
    const host = hook.httpGet.host ?? podIP;
    if (!host || !port) return `httpGet hook has no address (host ${host}, port ${portName})`;
    const scheme = (hook.httpGet.scheme ?? 'HTTP').toLowerCase();
    const res = await fetch(`${scheme}://${host}:${port}${hook.httpGet.path ?? '/'}`, {
      headers: Object.fromEntries((hook.httpGet.httpHeaders ?? []).map((h) => [h.name, h.value])),
      signal: AbortSignal.timeout(seconds * 1000),
    });
    await res.arrayBuffer();
    return res.status < 400 ? undefined : `HTTP ${res.status}`;
  }
  if (hook.sleep)
    await new Promise((r) => setTimeout(r, Math.min(hook.sleep?.seconds ?? 0, seconds) * 1000));
  return undefined;
}

/**
 * stopOne stops one running container as the kubelet does: a Killing event, the preStop hook
 * within the grace period, then StopContainer (SIGTERM, SIGKILL after what is left of it).
 */
export async function stopOne(
  rt: PodRuntime,
  pod: Pod,
  container: Container | undefined,
  containerId: string,
  podIP: string | undefined,
  grace: number,
  events: EventRecorder,
  message: string,
  init = false,
): Promise<void> {
  const name = container?.name ?? '';
  const field = container ? containerFieldPath(name, init) : undefined;
  events.record(pod, 'Normal', 'Killing', message, field);
  const started = Date.now();
  const hook = container?.lifecycle?.preStop;
  if (hook && grace > 0) {
    try {
      const problem = await runPreStop(rt, hook, containerId, podIP, container, grace);
      if (problem)
        events.record(pod, 'Warning', 'FailedPreStopHook', `PreStopHook failed: ${problem}`, field);
    } catch (err) {
      events.record(
        pod,
        'Warning',
        'FailedPreStopHook',
        `PreStopHook failed: ${err instanceof Error ? err.message : String(err)}`,
        field,
      );
    }
  }
  const left = Math.max(minimumGraceSeconds, grace - Math.floor((Date.now() - started) / 1000));
  await rt.client.stopContainer({ containerId, timeout: grace === 0 ? 0 : left });
}

/**
 * terminatePod ends a pod marked for deletion: every running container stops within the grace
 * period (preStop first), then the sandbox is stopped and removed.
 */
export async function terminatePod(rt: PodRuntime, pod: Pod, events: EventRecorder): Promise<void> {
  const observed = await observePod(rt, pod);
  const grace = gracePeriodSeconds(pod);
  const specs = [
    ...(pod.spec?.containers ?? []).map((c) => ({ c, init: false })),
    ...(pod.spec?.initContainers ?? []).map((c) => ({ c, init: true })),
  ];
  await Promise.all(
    observed.all
      .filter((c) => c.state === 'CONTAINER_RUNNING')
      .map((c) => {
        const name = c.labels[podLabel.container] ?? c.metadata?.name ?? '';
        const spec = specs.find((s) => s.c.name === name);
        return stopOne(
          rt,
          pod,
          spec?.c,
          c.id,
          observed.podIP,
          grace,
          events,
          `Stopping container ${name}`,
          spec?.init,
        );
      }),
  );
  await removeSandboxes(
    rt,
    observed.sandboxes.map((s) => s.id),
  );
}

/** removeSandboxes stops and removes sandboxes (and with them their containers). */
export async function removeSandboxes(rt: PodRuntime, ids: string[]): Promise<void> {
  for (const id of ids) {
    await rt.client.stopPodSandbox({ podSandboxId: id });
    await rt.client.removePodSandbox({ podSandboxId: id });
  }
}
