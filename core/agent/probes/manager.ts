import type { Probe } from '../../../sdk/api/core/container.ts';
import { realTimers, type Timers } from '../../../sdk/controller/timers.ts';
import type { ProbeOutcome } from './outcome.ts';
import {
  type ProbeEvents,
  type ProbeKind,
  type ProbeState,
  type ProbeTarget,
  probeKindTitle,
} from './types.ts';
import { type ProbeRunner, ProbeWorker } from './worker.ts';

export type {
  ProbeEvents,
  ProbeKind,
  ProbeState,
  ProbeTarget,
  RestartDetails,
} from './types.ts';

/** ProbeManagerOptions are what a ProbeManager runs with. */
export interface ProbeManagerOptions {
  events: ProbeEvents;
  /** timers is the clock of the probe schedules (real time unless a test passes ManualTimers). */
  timers?: Timers;
  /** runner makes probe attempts (runProbe unless a test stands one in). */
  runner?: ProbeRunner;
  /**
   * random spreads the first probes of containers tracked within one period of the manager's
   * start over that period (Math.random by default; tests pass `() => 0` for no spread).
   */
  random?: () => number;
}

interface Tracked {
  target: ProbeTarget;
  started: boolean;
  /** readiness is the readiness probe's result; undefined when the container has none. */
  readiness: boolean | undefined;
  workers: Map<ProbeKind, ProbeWorker>;
}

const kinds: readonly ProbeKind[] = ['startup', 'liveness', 'readiness'];
const maxGaveUp = 4096;

function probeOf(target: ProbeTarget, kind: ProbeKind): Probe | undefined {
  const c = target.container;
  return kind === 'startup'
    ? c.startupProbe
    : kind === 'liveness'
      ? c.livenessProbe
      : c.readinessProbe;
}

// An exception thrown by one of the agent's event callbacks is a bug in the agent: it is
// raised again outside the probe loop, so it is seen rather than swallowed.
function raise(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}

/**
 * ProbeManager runs the liveness, readiness and startup probes of the containers the agent
 * tracks, one worker per container and kind, and tells the agent what they find through its
 * ProbeEvents: Unhealthy messages, restarts, and readiness or startup changes.
 */
export class ProbeManager {
  readonly #events: ProbeEvents;
  readonly #timers: Timers;
  readonly #runner: ProbeRunner | undefined;
  readonly #random: () => number;
  readonly #createdAt: number;
  readonly #containers = new Map<string, Tracked>();
  readonly #inFlight = new Set<Promise<void>>();
  /** gaveUp holds the containers (id → pod uid) a restart was asked for: they are not probed again. */
  readonly #gaveUp = new Map<string, string>();

  constructor(opts: ProbeManagerOptions) {
    this.#events = opts.events;
    this.#timers = opts.timers ?? realTimers;
    this.#runner = opts.runner;
    this.#random = opts.random ?? Math.random;
    this.#createdAt = this.#timers.now();
  }

  /**
   * track starts probing a running container. Tracking a container again only refreshes its
   * target (a pod IP learnt later, say); its probes keep their schedule and counts. A container
   * whose liveness or startup probe gave up is not probed again, even when tracked anew while
   * it is being stopped (as kubelet holds such a container until a new id replaces it).
   */
  track(target: ProbeTarget): void {
    if (this.#gaveUp.has(target.containerId)) return;
    const known = this.#containers.get(target.containerId);
    if (known) {
      known.target = target;
      return;
    }
    const entry: Tracked = {
      target,
      started: target.container.startupProbe === undefined,
      readiness: target.container.readinessProbe === undefined ? undefined : false,
      workers: new Map(),
    };
    this.#containers.set(target.containerId, entry);
    for (const kind of kinds) {
      const probe = probeOf(target, kind);
      if (!probe) continue;
      entry.workers.set(
        kind,
        new ProbeWorker({
          kind,
          probe,
          target: () => entry.target,
          timers: this.#timers,
          runner: this.#runner,
          hooks: {
            mayProbe: () => (kind === 'startup' ? !entry.started : entry.started),
            attempted: (outcome) => this.#attempted(entry, kind, outcome),
            result: (result, outcome) => this.#result(entry, kind, probe, result, outcome),
            inFlight: (done) => this.#watch(done),
          },
        }),
      );
    }
    // An agent that just started finds every running container at once; kubelet then waits a
    // random part of the period before each first probe so they do not all run together.
    const sinceStart = this.#timers.now() - this.#createdAt;
    for (const worker of entry.workers.values()) {
      const periodMs = worker.settings.periodSeconds * 1000;
      worker.start(periodMs > sinceStart ? Math.floor(this.#random() * periodMs) : 0);
    }
  }

  /** untrack stops probing a container (it exited or was replaced); unknown ids are fine. */
  untrack(containerId: string): void {
    const entry = this.#containers.get(containerId);
    if (!entry) return;
    for (const worker of entry.workers.values()) worker.stop();
    this.#containers.delete(containerId);
  }

  /** untrackPod stops probing every container of a pod. */
  untrackPod(podUid: string): void {
    for (const [id, entry] of this.#containers)
      if (entry.target.podUid === podUid) this.untrack(id);
    for (const [id, uid] of this.#gaveUp) if (uid === podUid) this.#gaveUp.delete(id);
  }

  /**
   * state is what the probes say of a container: started once its startup probe passed (at
   * once without one); ready once started and its readiness probe passed (at once without
   * one). An untracked container is neither.
   */
  state(containerId: string): ProbeState {
    const entry = this.#containers.get(containerId);
    if (!entry) return { ready: false, started: false };
    return { started: entry.started, ready: entry.started && entry.readiness !== false };
  }

  /**
   * terminating tells the manager a pod is being deleted: as kubelet does, its liveness and
   * startup probes stop (a container on its way out is not restarted), readiness goes on.
   */
  terminating(podUid: string): void {
    for (const entry of this.#containers.values()) {
      if (entry.target.podUid !== podUid) continue;
      entry.workers.get('liveness')?.stop();
      entry.workers.get('startup')?.stop();
    }
  }

  /** tracked lists the container ids being probed. */
  tracked(): string[] {
    return [...this.#containers.keys()];
  }

  /** settled resolves once no probe attempt is under way (tests wait on it after moving the clock). */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /** close stops every probe. */
  close(): void {
    for (const id of [...this.#containers.keys()]) this.untrack(id);
  }

  #watch(done: Promise<void>): void {
    const settled = done.catch(raise);
    this.#inFlight.add(settled);
    void settled.finally(() => this.#inFlight.delete(settled));
  }

  #current(entry: Tracked): boolean {
    return this.#containers.get(entry.target.containerId) === entry;
  }

  #attempted(entry: Tracked, kind: ProbeKind, outcome: ProbeOutcome): void {
    if (!this.#current(entry)) return;
    const title = probeKindTitle[kind];
    if (outcome.result === 'failure')
      this.#events.unhealthy(entry.target, kind, `${title} probe failed: ${outcome.output}`);
    else if (outcome.result === 'error')
      this.#events.unhealthy(entry.target, kind, `${title} probe errored: ${outcome.output}`);
    else if (outcome.result === 'warning')
      this.#events.warning?.(entry.target, kind, `${title} probe warning: ${outcome.output}`);
  }

  #result(
    entry: Tracked,
    kind: ProbeKind,
    probe: Probe,
    result: 'success' | 'failure',
    _outcome: ProbeOutcome,
  ): void {
    if (!this.#current(entry)) return;
    const worker = entry.workers.get(kind);
    if (kind === 'readiness') {
      const ready = result === 'success';
      if (entry.readiness === ready) return;
      entry.readiness = ready;
      this.#events.changed(entry.target.podUid);
      return;
    }
    if (kind === 'startup' && result === 'success') {
      // A startup probe has done its work once it passes.
      worker?.stop();
      entry.started = true;
      this.#events.changed(entry.target.podUid);
      // kubelet probes readiness right away once a container counts as started.
      entry.workers.get('readiness')?.trigger();
      return;
    }
    if (result === 'success') return;
    // Liveness or startup gave up: the container is to be restarted. This worker waits for
    // the replacement, which comes with a new container id and so with new workers.
    worker?.stop();
    this.#gaveUp.set(entry.target.containerId, entry.target.podUid);
    // Pods that live on keep their ids here; the oldest are dropped past a bound.
    if (this.#gaveUp.size > maxGaveUp) this.#gaveUp.delete(this.#gaveUp.keys().next().value!);
    const grace = probe.terminationGracePeriodSeconds;
    this.#events.restart(
      entry.target,
      kind,
      `Container ${entry.target.containerName} failed ${kind} probe, will be restarted`,
      grace === undefined ? {} : { terminationGracePeriodSeconds: grace },
    );
  }
}
