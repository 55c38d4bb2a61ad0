import type { KubeObject } from '../../../sdk/api/meta.ts';
import { since } from './format.ts';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** TableRowCondition marks a row (a finished pod) the way Kubernetes' printers do. */
export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** PodRow is the cells of a pod's row and its row conditions. */
export interface PodRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
}

const isRestartable = (c: Obj | undefined): boolean => c?.restartPolicy === 'Always';

function conditionTrue(status: Obj, type: string): boolean {
  return list(status.conditions).some((c) => c.type === type && c.status === 'True');
}

/** terminatedReason names a terminated container: its reason, else its signal or exit code. */
function terminatedReason(t: Obj, prefix: string): string {
  if (str(t.reason) !== '') return `${prefix}${str(t.reason)}`;
  return num(t.signal) !== 0
    ? `${prefix}Signal:${num(t.signal)}`
    : `${prefix}ExitCode:${num(t.exitCode)}`;
}

/**
 * podRow computes a pod's NAME, READY, STATUS, RESTARTS, AGE, IP, NODE, NOMINATED NODE and
 * READINESS GATES cells as kubectl shows them. STATUS starts from the phase (or status.reason),
 * then init containers (`Init:1/2`, `Init:CrashLoopBackOff`, `Init:ExitCode:1`), then the
 * containers' waiting or terminated reasons (`ContainerCreating`, `CrashLoopBackOff`,
 * `Completed`, `Error`), and `Terminating` once deletion started on a pod not yet finished.
 */
export function podRow(pod: KubeObject, now: Date): PodRow {
  const spec = obj(pod.spec);
  const status = obj(pod.status);
  const phase = str(status.phase);
  let reason = str(status.reason) !== '' ? str(status.reason) : phase;
  for (const c of list(status.conditions))
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';

  const initSpecs = new Map(list(spec.initContainers).map((c) => [str(c.name), c]));
  const total = list(spec.containers).length + [...initSpecs.values()].filter(isRestartable).length;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart = 0;
  let lastSidecarRestart = 0;
  const finishedAt = (c: Obj): number => {
    const t = obj(obj(c.lastState).terminated);
    const at = Date.parse(str(t.finishedAt));
    return Number.isNaN(at) ? 0 : at;
  };

  let initializing = false;
  const initStatuses = list(status.initContainerStatuses);
  for (const [i, c] of initStatuses.entries()) {
    const restartable = isRestartable(initSpecs.get(str(c.name)));
    restarts += num(c.restartCount);
    lastRestart = Math.max(lastRestart, finishedAt(c));
    if (restartable) {
      sidecarRestarts += num(c.restartCount);
      lastSidecarRestart = Math.max(lastSidecarRestart, finishedAt(c));
    }
    const state = obj(c.state);
    const terminated = state.terminated === undefined ? undefined : obj(state.terminated);
    const waiting = state.waiting === undefined ? undefined : obj(state.waiting);
    if (terminated !== undefined && num(terminated.exitCode) === 0) continue;
    if (restartable && c.started === true) {
      if (c.ready === true) ready++;
      continue;
    }
    if (terminated !== undefined) reason = terminatedReason(terminated, 'Init:');
    else if (
      waiting !== undefined &&
      str(waiting.reason) !== '' &&
      waiting.reason !== 'PodInitializing'
    )
      reason = `Init:${str(waiting.reason)}`;
    else reason = `Init:${i}/${initSpecs.size}`;
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = list(status.containerStatuses);
    // Walked backwards so the first container's reason is the one that shows.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i] as Obj;
      restarts += num(c.restartCount);
      lastRestart = Math.max(lastRestart, finishedAt(c));
      const state = obj(c.state);
      const waiting = state.waiting === undefined ? undefined : obj(state.waiting);
      const terminated = state.terminated === undefined ? undefined : obj(state.terminated);
      if (waiting !== undefined && str(waiting.reason) !== '') reason = str(waiting.reason);
      else if (terminated !== undefined) reason = terminatedReason(terminated, '');
      else if (c.ready === true && state.running !== undefined) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning)
      reason = conditionTrue(status, 'Ready') ? 'Running' : 'NotReady';
  }

  const deleting = pod.metadata?.deletionTimestamp !== undefined;
  if (deleting && status.reason === 'NodeLost') reason = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  const restartCell =
    restarts !== 0 && lastRestart !== 0
      ? `${restarts} (${since(new Date(lastRestart).toISOString(), now)} ago)`
      : String(restarts);

  const podIP = str(list(status.podIPs)[0]?.ip) || str(status.podIP) || '<none>';
  const gates = list(spec.readinessGates);
  const gatesCell =
    gates.length === 0
      ? '<none>'
      : `${gates.filter((g) => conditionTrue(status, str(g.conditionType))).length}/${gates.length}`;
  const cells = [
    pod.metadata?.name ?? '',
    `${ready}/${total}`,
    reason,
    restartCell,
    since(pod.metadata?.creationTimestamp, now),
    podIP,
    str(spec.nodeName) || '<none>',
    str(status.nominatedNodeName) || '<none>',
    gatesCell,
  ];
  const row: PodRow = { cells };
  if (phase === 'Succeeded')
    row.conditions = [
      {
        type: 'Completed',
        status: 'True',
        reason: 'Succeeded',
        message: 'The pod ran to completion.',
      },
    ];
  if (phase === 'Failed')
    row.conditions = [
      { type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' },
    ];
  return row;
}
