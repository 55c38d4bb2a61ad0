import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Container } from '../../sdk/api/core/container.ts';
import type { Pod } from '../../sdk/api/core/pod.ts';
import type { RuntimeClient } from '../../sdk/runtime/client.ts';
import type { RestartBackoff } from './backoff.ts';
import { type EnvLookup, resolveEnv } from './env.ts';
import { containerFieldPath, type EventRecorder } from './events.ts';
import { ensureImage } from './images.ts';
import { type Observed, observePod, type PodRuntime } from './observe.ts';
import {
  containerConfig,
  type DnsSettings,
  podLogDirectory,
  sandboxConfig,
} from './runtime-objects.ts';
import { type ContainerInstance, type ContainerView, computePodStatus, rfc3339 } from './status.ts';

/** ProbeTracker is the part of the probe manager the pod worker drives. */
export interface ProbeTracker {
  track(target: {
    podUid: string;
    podName: string;
    namespace: string;
    podIP?: string;
    containerName: string;
    containerId: string;
    startedAt: number;
    container: Container;
    runtime: RuntimeClient;
  }): void;
  untrack(containerId: string): void;
  untrackPod(podUid: string): void;
  state(containerId: string): { ready: boolean; started: boolean };
}

/** WorkerContext is what a pod sync needs from the agent. */
export interface WorkerContext {
  root: string;
  hostIP: string;
  dns: DnsSettings;
  events: EventRecorder;
  backoff: RestartBackoff;
  env: EnvLookup;
  probes?: ProbeTracker;
  /** specHash is a stable hash of the pod spec, kept on the sandbox. */
  specHash(pod: Pod): string;
}

/** SyncResult says what the sync produced: the status to write and when to look again. */
export interface SyncResult {
  status?: ReturnType<typeof computePodStatus>;
  requeueAfterMs?: number;
}

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));
const podRef = (pod: Pod) =>
  `${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;

interface Plan {
  views: Map<string, ContainerView>;
  initViews: Map<string, ContainerView>;
  requeueAfterMs?: number;
  acted: boolean;
}

/**
 * syncPod converges one pod's runtime state to its spec, like the kubelet's SyncPod: a ready
 * sandbox, init containers one at a time, then the containers, each (re)started per the
 * restart policy with back-off; then it computes the pod's status. Deletion is elsewhere.
 */
export async function syncPod(rt: PodRuntime, pod: Pod, ctx: WorkerContext): Promise<SyncResult> {
  let observed = await observePod(rt, pod);
  if (!observed.ready) {
    const made = await ensureSandbox(rt, pod, observed, ctx);
    if (!made.ok) return { requeueAfterMs: made.retryMs };
    observed = await observePod(rt, pod);
  }
  const plan = await act(rt, pod, observed, ctx);
  if (plan.acted) {
    observed = await observePod(rt, pod);
    // The verdicts of waiting reasons stay; the instances are read again after the actions.
    const again = viewsOf(pod, observed, ctx);
    for (const [name, v] of again.views) v.waiting = plan.views.get(name)?.waiting;
    for (const [name, v] of again.initViews) v.waiting = plan.initViews.get(name)?.waiting;
    plan.views = again.views;
    plan.initViews = again.initViews;
  }
  trackProbes(rt, pod, observed, ctx);
  const status = computePodStatus({
    pod,
    hostIP: ctx.hostIP,
    sandboxReady: observed.ready !== undefined,
    podIP: observed.podIP,
    init: plan.initViews,
    containers: plan.views,
    now: rfc3339(Date.now()),
  });
  if (status.phase === 'Succeeded' || status.phase === 'Failed') {
    // A finished pod keeps its containers (logs) but not a running sandbox.
    ctx.probes?.untrackPod(pod.metadata?.uid ?? '');
    for (const s of observed.sandboxes)
      if (s.state === 'SANDBOX_READY') await rt.client.stopPodSandbox({ podSandboxId: s.id });
  }
  return { status, requeueAfterMs: plan.requeueAfterMs };
}

function viewsOf(pod: Pod, observed: Observed, ctx: WorkerContext) {
  const view = (name: string): ContainerView => {
    const list = observed.byName.get(name) ?? [];
    const latest = list[0];
    const probe =
      latest?.state === 'running' && ctx.probes ? ctx.probes.state(latest.id) : undefined;
    return {
      latest,
      previous: list[1],
      ready: latest?.state === 'running' && (probe ? probe.ready : true),
      started: latest?.state === 'running' && (probe ? probe.started : true),
    };
  };
  return {
    views: new Map((pod.spec?.containers ?? []).map((c) => [c.name, view(c.name)])),
    initViews: new Map((pod.spec?.initContainers ?? []).map((c) => [c.name, view(c.name)])),
  };
}

async function ensureSandbox(
  rt: PodRuntime,
  pod: Pod,
  observed: Observed,
  ctx: WorkerContext,
): Promise<{ ok: true } | { ok: false; retryMs: number }> {
  // Containers of a sandbox that died die with it; a new sandbox starts them again.
  for (const c of observed.all) {
    if (c.state === 'CONTAINER_RUNNING')
      await rt.client.stopContainer({ containerId: c.id, timeout: 0 }).catch(() => undefined);
  }
  for (const s of observed.sandboxes)
    await rt.client.stopPodSandbox({ podSandboxId: s.id }).catch(() => undefined);
  if (observed.sandboxes.length > 0)
    ctx.events.record(
      pod,
      'Normal',
      'SandboxChanged',
      'Pod sandbox changed, it will be killed and re-created.',
    );
  const attempt = observed.sandboxes.reduce(
    (n, s) => Math.max(n, (s.metadata?.attempt ?? 0) + 1),
    0,
  );
  const config = sandboxConfig(pod, attempt, ctx.root, ctx.dns, ctx.specHash(pod));
  try {
    mkdirSync(podLogDirectory(ctx.root, pod), { recursive: true });
    // Each handler is an endpoint of its own here, so the adapter runs it as its default.
    await rt.client.runPodSandbox({ config, runtimeHandler: '' }, { timeoutMs: 120_000 });
    return { ok: true };
  } catch (err) {
    ctx.events.record(
      pod,
      'Warning',
      'FailedCreatePodSandBox',
      `Failed to create pod sandbox: ${errText(err)}`,
    );
    const uid = pod.metadata?.uid ?? '';
    const d = ctx.backoff.decide(`${uid}/sandbox`, Date.now(), Date.now(), Date.now());
    return { ok: false, retryMs: d.restart ? 1_000 : d.remainingMs };
  }
}

async function act(
  rt: PodRuntime,
  pod: Pod,
  observed: Observed,
  ctx: WorkerContext,
): Promise<Plan> {
  const { views, initViews } = viewsOf(pod, observed, ctx);
  const plan: Plan = { views, initViews, acted: false };
  const policy = pod.spec?.restartPolicy ?? 'Always';
  const later = (ms: number) => {
    plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? ms, ms);
  };
  for (const c of pod.spec?.initContainers ?? []) {
    const v = initViews.get(c.name) as ContainerView;
    const latest = v.latest;
    if (latest?.state === 'exited' && latest.exitCode === 0) continue;
    if (latest?.state === 'running') return plan;
    if (latest?.state === 'exited' && policy === 'Never') return plan;
    await startWithBackoff(rt, pod, c, v, observed, ctx, plan, later, true);
    return plan;
  }
  for (const c of pod.spec?.containers ?? []) {
    const v = views.get(c.name) as ContainerView;
    const latest = v.latest;
    if (latest?.state === 'running') continue;
    if (latest?.state === 'exited') {
      const restart = policy === 'Always' || (policy === 'OnFailure' && latest.exitCode !== 0);
      if (!restart) continue;
    }
    await startWithBackoff(rt, pod, c, v, observed, ctx, plan, later, false);
  }
  return plan;
}

async function startWithBackoff(
  rt: PodRuntime,
  pod: Pod,
  c: Container,
  v: ContainerView,
  observed: Observed,
  ctx: WorkerContext,
  plan: Plan,
  later: (ms: number) => void,
  init: boolean,
): Promise<void> {
  const uid = pod.metadata?.uid ?? '';
  const field = containerFieldPath(c.name, init);
  const latest = v.latest;
  if (latest?.state === 'exited') {
    const now = Date.now();
    const d = ctx.backoff.decide(
      `${uid}/${c.name}`,
      latest.startedAt ?? now,
      latest.finishedAt ?? now,
      now,
    );
    if (!d.restart) {
      v.waiting = {
        reason: 'CrashLoopBackOff',
        message: `back-off ${Math.round(d.delayMs / 1000)}s restarting failed container=${c.name} pod=${podRef(pod)}`,
      };
      ctx.events.record(
        pod,
        'Warning',
        'BackOff',
        `Back-off restarting failed container ${c.name} in pod ${podRef(pod)}`,
        field,
      );
      later(d.remainingMs + 50);
      return;
    }
  }
  const failed = await startContainer(rt, pod, c, latest, observed, ctx, init);
  plan.acted = true;
  if (failed) {
    v.waiting = failed;
    const d = ctx.backoff.decide(`${uid}/${c.name}/start`, Date.now(), Date.now(), Date.now());
    later(d.restart ? 1_000 : d.remainingMs);
  }
}

/** startContainer makes the next instance of a container and starts it; a value says why not. */
async function startContainer(
  rt: PodRuntime,
  pod: Pod,
  c: Container,
  latest: ContainerInstance | undefined,
  observed: Observed,
  ctx: WorkerContext,
  init: boolean,
): Promise<{ reason: string; message: string } | undefined> {
  const field = containerFieldPath(c.name, init);
  const sandbox = observed.ready;
  if (!sandbox) return { reason: 'ContainerCreating', message: 'no ready sandbox' };
  if (latest?.state === 'created') {
    // Made by an earlier sync that stopped short of starting it.
    try {
      await rt.client.startContainer({ containerId: latest.id });
      ctx.events.record(pod, 'Normal', 'Started', `Started container ${c.name}`, field);
      return undefined;
    } catch {
      await rt.client.removeContainer({ containerId: latest.id }).catch(() => undefined);
    }
  }
  const image = await ensureImage(rt, pod, c, ctx.events, init);
  if (!image.ok) return { reason: image.reason, message: image.message };
  const resolved = await resolveEnv(pod, c, ctx.env);
  if (!resolved.ok) {
    ctx.events.record(pod, 'Warning', 'Failed', `Error: ${resolved.message}`, field);
    return { reason: 'CreateContainerConfigError', message: resolved.message };
  }
  const attempt = latest ? latest.attempt + (latest.state === 'created' ? 0 : 1) : 0;
  // Keep only the last exited instance (for `logs --previous`); older ones go.
  for (const old of (observed.byName.get(c.name) ?? []).slice(latest?.state === 'created' ? 0 : 1))
    await rt.client.removeContainer({ containerId: old.id }).catch(() => undefined);
  mkdirSync(join(podLogDirectory(ctx.root, pod), c.name), { recursive: true });
  const config = containerConfig(pod, c, attempt, resolved, image.image, ctx.root);
  const sandboxConfigNow = sandboxConfig(
    pod,
    sandbox.metadata?.attempt ?? 0,
    ctx.root,
    ctx.dns,
    ctx.specHash(pod),
  );
  let containerId: string;
  try {
    ({ containerId } = await rt.client.createContainer(
      { podSandboxId: sandbox.id, config, sandboxConfig: sandboxConfigNow },
      { timeoutMs: 120_000 },
    ));
  } catch (err) {
    ctx.events.record(pod, 'Warning', 'Failed', `Error: ${errText(err)}`, field);
    return { reason: 'CreateContainerError', message: errText(err) };
  }
  ctx.events.record(pod, 'Normal', 'Created', `Created container ${c.name}`, field);
  try {
    await rt.client.startContainer({ containerId }, { timeoutMs: 120_000 });
  } catch (err) {
    ctx.events.record(pod, 'Warning', 'Failed', `Error: ${errText(err)}`, field);
    return { reason: 'RunContainerError', message: errText(err) };
  }
  ctx.events.record(pod, 'Normal', 'Started', `Started container ${c.name}`, field);
  return undefined;
}

function trackProbes(rt: PodRuntime, pod: Pod, observed: Observed, ctx: WorkerContext): void {
  const probes = ctx.probes;
  if (!probes) return;
  const m = pod.metadata ?? {};
  for (const c of pod.spec?.containers ?? []) {
    const list = observed.byName.get(c.name) ?? [];
    for (const [i, inst] of list.entries()) {
      if (i === 0 && inst.state === 'running') {
        probes.track({
          podUid: m.uid ?? '',
          podName: m.name ?? '',
          namespace: m.namespace ?? 'default',
          podIP: observed.podIP,
          containerName: c.name,
          containerId: inst.id,
          startedAt: inst.startedAt ?? Date.now(),
          container: c,
          runtime: rt.client,
        });
      } else probes.untrack(inst.id);
    }
  }
}
