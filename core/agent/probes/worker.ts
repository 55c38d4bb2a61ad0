import type { Probe } from '../../../sdk/api/core/container.ts';
import type { Timers } from '../../../sdk/controller/timers.ts';
import type { ProbeOutcome } from './outcome.ts';
import { runProbe } from './run.ts';
import type { ProbeKind, ProbeTarget } from './types.ts';

/** defaultPeriodSeconds is how often a probe runs when it sets no periodSeconds. */
export const defaultPeriodSeconds = 10;
/** defaultFailureThreshold is how many failures in a row turn a probe's result to failure. */
export const defaultFailureThreshold = 3;

// An attempt that errors (the agent could not tell) is retried at once this many times in
// all before the worker gives up on it for this period, as kubelet does.
const attemptsPerTick = 3;

/** ProbeSettings are a probe's timings and thresholds with Kubernetes' defaults filled in. */
export interface ProbeSettings {
  initialDelaySeconds: number;
  periodSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

/**
 * probeSettings fills in a probe's defaults: period 10 s (at least 1), success threshold 1
 * (always 1 for liveness and startup), failure threshold 3.
 */
export function probeSettings(kind: ProbeKind, probe: Probe): ProbeSettings {
  const positive = (v: number | undefined, fallback: number) =>
    v !== undefined && Number.isInteger(v) && v >= 1 ? v : fallback;
  return {
    initialDelaySeconds: Math.max(0, probe.initialDelaySeconds ?? 0),
    periodSeconds: positive(probe.periodSeconds, defaultPeriodSeconds),
    successThreshold: kind === 'readiness' ? positive(probe.successThreshold, 1) : 1,
    failureThreshold: positive(probe.failureThreshold, defaultFailureThreshold),
  };
}

/** ProbeRunner makes one probe attempt (runProbe, or a stand-in in tests). */
export type ProbeRunner = (probe: Probe, target: ProbeTarget) => Promise<ProbeOutcome>;

/** ProbeWorkerHooks is how a worker asks for its gate and hands back what it saw. */
export interface ProbeWorkerHooks {
  /** mayProbe: false while the container has not started and this is not its startup probe. */
  mayProbe(): boolean;
  /** attempted: one attempt ended (after retries of errored ones). */
  attempted(outcome: ProbeOutcome): void;
  /** result: the thresholds are met; the probe's result is now this (said on every attempt from then on). */
  result(result: 'success' | 'failure', outcome: ProbeOutcome): void;
  /** inFlight: an attempt started; the promise settles when it ends (for tests that wait). */
  inFlight(done: Promise<void>): void;
}

/** ProbeWorkerOptions are what a ProbeWorker runs with. */
export interface ProbeWorkerOptions {
  kind: ProbeKind;
  probe: Probe;
  /** target is read at every attempt, so a refreshed target (pod IP) is used. */
  target: () => ProbeTarget;
  timers: Timers;
  hooks: ProbeWorkerHooks;
  runner?: ProbeRunner;
}

/**
 * ProbeWorker runs one probe of one container on kubelet's schedule: a tick when it starts and
 * then every periodSeconds; a tick before initialDelaySeconds have passed since the container
 * started, or (for liveness and readiness) before the container has started, does nothing.
 * Consecutive equal results are counted against the success and failure thresholds.
 */
export class ProbeWorker {
  readonly kind: ProbeKind;
  readonly settings: ProbeSettings;
  readonly #opts: ProbeWorkerOptions;
  readonly #runner: ProbeRunner;
  #handle: unknown;
  #nextAt = 0;
  #running = false;
  #tickWaiting = false;
  #stopped = false;
  #last: 'success' | 'failure' | undefined;
  #run = 0;

  constructor(opts: ProbeWorkerOptions) {
    this.#opts = opts;
    this.kind = opts.kind;
    this.settings = probeSettings(opts.kind, opts.probe);
    this.#runner = opts.runner ?? runProbe;
  }

  /** start runs the first tick after delayMs (at once by default) and schedules the next ones. */
  start(delayMs = 0): void {
    const timers = this.#opts.timers;
    this.#nextAt = timers.now() + delayMs;
    if (delayMs <= 0) this.#tick();
    else this.#handle = timers.setTimeout(() => this.#tick(), delayMs);
  }

  /** trigger runs a tick now, outside the schedule (kubelet does so for readiness once a container starts). */
  trigger(): void {
    if (this.#stopped) return;
    if (this.#running) this.#tickWaiting = true;
    else this.#probe();
  }

  /** stop ends the schedule; a result of an attempt under way is dropped. */
  stop(): void {
    this.#stopped = true;
    if (this.#handle !== undefined) this.#opts.timers.clearTimeout(this.#handle);
    this.#handle = undefined;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  #tick(): void {
    if (this.#stopped) return;
    const timers = this.#opts.timers;
    this.#nextAt += this.settings.periodSeconds * 1000;
    this.#handle = timers.setTimeout(() => this.#tick(), Math.max(0, this.#nextAt - timers.now()));
    // Like a Go ticker, a tick that comes while an attempt runs waits for it (one at most).
    if (this.#running) this.#tickWaiting = true;
    else this.#probe();
  }

  #due(): boolean {
    const sinceStart = Math.floor((this.#opts.timers.now() - this.#opts.target().startedAt) / 1000);
    return sinceStart >= this.settings.initialDelaySeconds && this.#opts.hooks.mayProbe();
  }

  #probe(): void {
    if (this.#stopped || !this.#due()) return;
    this.#running = true;
    const done = this.#attempt().finally(() => {
      this.#running = false;
      if (this.#tickWaiting) {
        this.#tickWaiting = false;
        this.#probe();
      }
    });
    this.#opts.hooks.inFlight(done);
  }

  async #attempt(): Promise<void> {
    let outcome: ProbeOutcome = { result: 'error', output: 'not run' };
    for (let i = 0; i < attemptsPerTick; i++) {
      try {
        outcome = await this.#runner(this.#opts.probe, this.#opts.target());
      } catch (err) {
        outcome = { result: 'error', output: err instanceof Error ? err.message : String(err) };
      }
      if (this.#stopped) return;
      if (outcome.result !== 'error') break;
    }
    this.#opts.hooks.attempted(outcome);
    // An errored attempt says nothing about the container: it is not counted.
    if (outcome.result === 'error') return;
    const result = outcome.result === 'failure' ? 'failure' : 'success';
    if (result === this.#last) this.#run++;
    else {
      this.#last = result;
      this.#run = 1;
    }
    const threshold =
      result === 'failure' ? this.settings.failureThreshold : this.settings.successThreshold;
    if (this.#run < threshold) return;
    this.#opts.hooks.result(result, outcome);
  }
}
