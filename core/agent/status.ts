import type { Container } from '../../sdk/api/core/container.ts';
import type { ContainerStatus, Pod, PodStatus } from '../../sdk/api/core/pod.ts';

/** ContainerInstance is one runtime container of a pod's container, as the agent read it. */
export interface ContainerInstance {
  id: string;
  /** runtime is the runtime's name, the scheme of containerID (`docker://…`). */
  runtime: string;
  attempt: number;
  state: 'created' | 'running' | 'exited' | 'unknown';
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
  message?: string;
  image?: string;
  imageRef?: string;
}

/** ContainerView is what the agent knows of one container of the pod spec. */
export interface ContainerView {
  /** latest is the newest instance; previous the one before (lastState). */
  latest?: ContainerInstance;
  previous?: ContainerInstance;
  /** waiting is why the agent holds the container back (CrashLoopBackOff, ErrImagePull, …). */
  waiting?: { reason: string; message?: string };
  /** ready and started are the probes' verdicts on the running instance. */
  ready: boolean;
  started: boolean;
}

/** PodView is the input of computePodStatus. */
export interface PodView {
  pod: Pod;
  hostIP: string;
  sandboxReady: boolean;
  podIP?: string;
  init: ReadonlyMap<string, ContainerView>;
  containers: ReadonlyMap<string, ContainerView>;
  /** now is the time written into new timestamps (RFC 3339, seconds). */
  now: string;
}

/** rfc3339 formats milliseconds since the epoch as Kubernetes writes times. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function terminated(i: ContainerInstance) {
  const exitCode = i.exitCode ?? 0;
  return {
    exitCode,
    reason: i.reason || (exitCode === 0 ? 'Completed' : 'Error'),
    ...(i.message ? { message: i.message } : {}),
    ...(i.startedAt ? { startedAt: rfc3339(i.startedAt) } : {}),
    ...(i.finishedAt ? { finishedAt: rfc3339(i.finishedAt) } : {}),
    containerID: `${i.runtime}://${i.id}`,
  };
}

/** containerStatus builds one entry of containerStatuses or initContainerStatuses. */
export function containerStatus(
  spec: Container,
  view: ContainerView | undefined,
  init: boolean,
): ContainerStatus {
  const latest = view?.latest;
  const image = spec.image ?? '';
  const base = {
    name: spec.name,
    image: latest?.image || image,
    imageID: latest?.imageRef ?? '',
    restartCount: latest?.attempt ?? 0,
    ...(latest ? { containerID: `${latest.runtime}://${latest.id}` } : {}),
  };
  const previous = latest?.state === 'exited' && view?.waiting ? latest : view?.previous;
  const lastState = previous?.state === 'exited' ? { terminated: terminated(previous) } : {};
  if (view?.waiting || !latest || latest.state === 'created' || latest.state === 'unknown') {
    const reason = view?.waiting?.reason ?? (init ? 'PodInitializing' : 'ContainerCreating');
    return {
      ...base,
      state: {
        waiting: { reason, ...(view?.waiting?.message ? { message: view.waiting.message } : {}) },
      },
      lastState,
      ready: false,
      started: false,
    };
  }
  if (latest.state === 'running') {
    return {
      ...base,
      state: { running: { startedAt: rfc3339(latest.startedAt ?? Date.now()) } },
      lastState,
      ready: init ? false : (view?.ready ?? false),
      started: init ? true : (view?.started ?? false),
    };
  }
  const done = terminated(latest);
  return {
    ...base,
    state: { terminated: done },
    lastState: view?.previous?.state === 'exited' ? { terminated: terminated(view.previous) } : {},
    // A finished init container counts as ready, as the kubelet reports it.
    ready: init && done.exitCode === 0,
    started: false,
  };
}

type Condition = NonNullable<PodStatus['conditions']>[number];

/** podPhase decides the phase from the container statuses as the kubelet's getPhase does. */
export function podPhase(
  restartPolicy: string,
  init: ContainerStatus[],
  containers: ContainerStatus[],
): 'Pending' | 'Running' | 'Succeeded' | 'Failed' {
  for (const s of init) {
    const t = s.state?.terminated ?? (s.state?.waiting ? s.lastState?.terminated : undefined);
    if (s.state?.terminated && t?.exitCode === 0) continue;
    if (restartPolicy === 'Never' && t && t.exitCode !== 0) return 'Failed';
    return 'Pending';
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of containers) {
    const t = s.state?.terminated ?? (s.state?.waiting ? s.lastState?.terminated : undefined);
    if (s.state?.running) running++;
    else if (t) {
      stopped++;
      if (t.exitCode === 0) succeeded++;
    } else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (restartPolicy === 'Always') return 'Running';
    if (restartPolicy === 'OnFailure') return stopped === succeeded ? 'Succeeded' : 'Running';
    return stopped === succeeded ? 'Succeeded' : 'Failed';
  }
  return 'Pending';
}

function condition(
  old: Condition[],
  type: string,
  ok: boolean,
  now: string,
  reason?: string,
  message?: string,
): Condition {
  const status = ok ? 'True' : 'False';
  const prev = old.find((c) => c.type === type);
  return {
    type,
    status,
    lastTransitionTime:
      prev?.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : now,
    ...(ok || !reason ? {} : { reason, message }),
  };
}

/**
 * computePodStatus writes the pod's status as Kubernetes reports it, from what the agent
 * observed: phase, conditions, container statuses, addresses and start time.
 */
export function computePodStatus(view: PodView): PodStatus {
  const { pod, now } = view;
  const spec = pod.spec;
  const old = pod.status?.conditions ?? [];
  const restartPolicy = spec?.restartPolicy ?? 'Always';
  const init = (spec?.initContainers ?? []).map((c) =>
    containerStatus(c, view.init.get(c.name), true),
  );
  const containers = (spec?.containers ?? []).map((c) =>
    containerStatus(c, view.containers.get(c.name), false),
  );
  const phase = podPhase(restartPolicy, init, containers);
  const notInitialized = init
    .filter((s) => !(s.state?.terminated?.exitCode === 0))
    .map((s) => s.name);
  const notReady = containers.filter((s) => !s.ready).map((s) => s.name);
  const gates = (spec?.readinessGates ?? []).filter(
    (g) => old.find((c) => c.type === g.conditionType)?.status !== 'True',
  );
  const completed = phase === 'Succeeded' || phase === 'Failed';
  const list = (names: string[]) => `[${names.join(' ')}]`;
  const conditions: Condition[] = [
    condition(old, 'PodReadyToStartContainers', view.sandboxReady, now),
    condition(
      old,
      'Initialized',
      notInitialized.length === 0,
      now,
      'ContainersNotInitialized',
      `containers with incomplete status: ${list(notInitialized)}`,
    ),
    condition(
      old,
      'Ready',
      !completed && notReady.length === 0 && gates.length === 0,
      now,
      completed
        ? 'PodCompleted'
        : notReady.length > 0
          ? 'ContainersNotReady'
          : 'ReadinessGatesNotReady',
      completed
        ? ''
        : notReady.length > 0
          ? `containers with unready status: ${list(notReady)}`
          : `corresponding condition of pod readiness gate "${gates[0]?.conditionType}" does not exist.`,
    ),
    condition(
      old,
      'ContainersReady',
      !completed && notReady.length === 0,
      now,
      completed ? 'PodCompleted' : 'ContainersNotReady',
      completed ? '' : `containers with unready status: ${list(notReady)}`,
    ),
  ];
  for (const c of conditions) if (c.message === '') delete c.message;
  const scheduled = old.find((c) => c.type === 'PodScheduled') ?? {
    type: 'PodScheduled',
    status: 'True',
    lastTransitionTime: now,
  };
  // Other writers' conditions (readiness gates, DisruptionTarget) are kept as they are.
  const mine = new Set(['PodScheduled', ...conditions.map((c) => c.type)]);
  const status: PodStatus = {
    phase,
    conditions: [...conditions, scheduled, ...old.filter((c) => !mine.has(c.type))],
    hostIP: view.hostIP,
    hostIPs: [{ ip: view.hostIP }],
    startTime: pod.status?.startTime ?? now,
    ...(init.length > 0 ? { initContainerStatuses: init } : {}),
    containerStatuses: containers,
    qosClass: pod.status?.qosClass ?? qosClass(pod),
  };
  if (view.podIP) {
    status.podIP = view.podIP;
    status.podIPs = [{ ip: view.podIP }];
  } else if (pod.status?.podIP && completed) {
    status.podIP = pod.status.podIP;
    status.podIPs = pod.status.podIPs;
  }
  return status;
}

/** qosClass is the pod's quality-of-service class from its containers' requests and limits. */
export function qosClass(pod: Pod): string {
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let anySet = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length + Object.keys(lim).length > 0) anySet = true;
    for (const r of ['cpu', 'memory']) {
      const l = lim[r];
      const q = req[r] ?? l;
      if (l === undefined || String(q) !== String(l)) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
