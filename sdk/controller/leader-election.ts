import type { Lease } from '../api/cluster/lease.ts';
import type { KubeClient } from '../client/client.ts';
import type { ResourceRef } from '../client/resource.ts';
import { isSkiffError } from '../errors.ts';
import type { Logger } from '../plugin.ts';
import { realTimers, sleep, type Timers } from './timers.ts';

/** LeaderElectionOptions name the Lease, who competes for it and how fast leadership moves. */
export interface LeaderElectionOptions {
  readonly client: Pick<KubeClient, 'get' | 'create' | 'update'>;
  readonly namespace: string;
  /** name is the Lease's name, shared by every candidate of one controller. */
  readonly name: string;
  /** identity is this candidate's unique name (host name plus process id, for example). */
  readonly identity: string;
  /** leaseDurationMs is how long others wait after the last renewal they saw (default 15 s). */
  readonly leaseDurationMs?: number;
  /** renewDeadlineMs is how long the leader keeps trying to renew before it stops (default 10 s). */
  readonly renewDeadlineMs?: number;
  /** retryPeriodMs is the pause between attempts to acquire or renew (default 2 s). */
  readonly retryPeriodMs?: number;
  /** onStartedLeading runs when this candidate becomes leader; the signal aborts when it stops. */
  readonly onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** onStoppedLeading runs after leadership ends (lost renewal or stop). */
  readonly onStoppedLeading?: () => void;
  /** onNewLeader reports every change of holder this candidate observes. */
  readonly onNewLeader?: (identity: string) => void;
  /** releaseOnStop gives the Lease up when stopped while leading, so others need not wait (default true). */
  readonly releaseOnStop?: boolean;
  readonly logger?: Logger;
  readonly timers?: Timers;
}

const leases: ResourceRef = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases' };
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** microTime formats a time as Kubernetes MicroTime (RFC 3339 with six fraction digits). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * LeaderElector competes for a coordination.k8s.io/v1 Lease so that only one of several
 * controller processes acts. A Lease is taken by creating it, or by updating it with its
 * current resourceVersion once its holder has not renewed for leaseDuration as measured on
 * this candidate's own clock (so clock skew between hosts does not matter). The leader renews
 * every retryPeriod; when it cannot renew within renewDeadline, or sees another holder, it
 * aborts its leadership signal and calls onStoppedLeading.
 */
export class LeaderElector {
  readonly #o: Required<
    Omit<LeaderElectionOptions, 'onStoppedLeading' | 'onNewLeader' | 'logger' | 'timers'>
  > &
    LeaderElectionOptions;
  readonly #timers: Timers;
  readonly #logger: Logger;
  #observed: { spec: string; at: number; resourceVersion?: string; lease?: Lease } | undefined;
  #leading = false;
  #holder = '';

  constructor(options: LeaderElectionOptions) {
    const o = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      releaseOnStop: true,
      ...options,
    };
    if (
      !(
        o.leaseDurationMs > o.renewDeadlineMs &&
        o.renewDeadlineMs > o.retryPeriodMs &&
        o.retryPeriodMs > 0
      )
    )
      throw new RangeError('leader election needs leaseDuration > renewDeadline > retryPeriod > 0');
    if (o.identity === '') throw new RangeError('leader election needs a non-empty identity');
    this.#o = o;
    this.#timers = options.timers ?? realTimers;
    this.#logger = options.logger ?? silent;
  }

  /** isLeader tells whether this candidate holds the Lease now. */
  isLeader(): boolean {
    return this.#leading;
  }

  /** leader is the holder this candidate last observed ('' when none). */
  get leader(): string {
    return this.#holder;
  }

  /**
   * run acquires the Lease (waiting as long as it takes), leads until leadership is lost or the
   * signal aborts, and returns. A candidate that lost leadership does not compete again; run it
   * anew (usually the process exits and restarts).
   */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !(await this.#attempt())) {
      await sleep(this.#timers, this.#o.retryPeriodMs, signal);
    }
    if (signal.aborted) {
      // A stop that raced a successful acquire must not leave the Lease held for its duration.
      if (this.#o.releaseOnStop && this.#holder === this.#o.identity) await this.#release();
      return;
    }
    this.#leading = true;
    const leadership = new AbortController();
    const onAbort = () => leadership.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.#logger.info('became leader', { lease: this.#o.name, identity: this.#o.identity });
    const work = Promise.resolve()
      .then(() => this.#o.onStartedLeading(leadership.signal))
      .catch((err) =>
        this.#logger.error('onStartedLeading failed', {
          error: err instanceof Error ? err.message : String(err),
        }),
      );
    let lastRenew = this.#timers.now();
    while (!leadership.signal.aborted) {
      if (!(await sleep(this.#timers, this.#o.retryPeriodMs, leadership.signal))) break;
      const renewed = await this.#attempt();
      if (renewed) lastRenew = this.#timers.now();
      else if (
        this.#holder !== this.#o.identity ||
        this.#timers.now() - lastRenew >= this.#o.renewDeadlineMs
      ) {
        this.#logger.warn('lost leadership', { lease: this.#o.name, holder: this.#holder });
        break;
      }
    }
    signal.removeEventListener('abort', onAbort);
    leadership.abort();
    this.#leading = false;
    await work;
    if (signal.aborted && this.#o.releaseOnStop && this.#holder === this.#o.identity)
      await this.#release();
    this.#o.onStoppedLeading?.();
  }

  /** attempt tries once to acquire or renew; false when another holder's Lease is still live. */
  async #attempt(): Promise<boolean> {
    const now = this.#timers.now();
    const mine = {
      holderIdentity: this.#o.identity,
      leaseDurationSeconds: Math.ceil(this.#o.leaseDurationMs / 1000),
      renewTime: microTime(now),
    };
    let current: Lease;
    try {
      current = await this.#o.client.get<Lease>(
        { ...leases, namespace: this.#o.namespace },
        this.#o.name,
      );
    } catch (err) {
      if (!isSkiffError(err, 'NotFound')) return this.#failed(err);
      try {
        const created = await this.#o.client.create<Lease>(
          { ...leases, namespace: this.#o.namespace },
          {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.#o.name, namespace: this.#o.namespace },
            spec: { ...mine, acquireTime: microTime(now), leaseTransitions: 0 },
          },
        );
        this.#observe(created, now);
        return true;
      } catch (createErr) {
        return this.#failed(createErr);
      }
    }
    this.#observe(current, now);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const observedAt = this.#observed?.at ?? now;
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    if (holder !== '' && holder !== this.#o.identity && observedAt + durationMs > now) return false;
    const taking = holder !== this.#o.identity;
    const next: Lease = {
      ...current,
      spec: {
        ...spec,
        ...mine,
        acquireTime: taking ? microTime(now) : (spec.acquireTime ?? microTime(now)),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (taking && holder !== '' ? 1 : 0),
      },
    };
    try {
      const updated = await this.#o.client.update<Lease>(
        { ...leases, namespace: this.#o.namespace },
        next,
      );
      this.#observe(updated, now);
      return true;
    } catch (err) {
      return this.#failed(err);
    }
  }

  /** observe remembers when the Lease's content last changed, on this candidate's clock. */
  #observe(lease: Lease, now: number): void {
    const spec = JSON.stringify(lease.spec ?? {});
    if (this.#observed?.spec !== spec) this.#observed = { spec, at: now };
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder !== this.#holder) {
      this.#holder = holder;
      if (holder !== '') this.#o.onNewLeader?.(holder);
    }
  }

  #failed(err: unknown): false {
    // Conflict and AlreadyExists mean another candidate wrote first: an ordinary lost race.
    if (!isSkiffError(err, 'Conflict') && !isSkiffError(err, 'AlreadyExists'))
      this.#logger.warn('lease request failed', {
        lease: this.#o.name,
        error: err instanceof Error ? err.message : String(err),
      });
    return false;
  }

  async #release(): Promise<void> {
    try {
      const current = await this.#o.client.get<Lease>(
        { ...leases, namespace: this.#o.namespace },
        this.#o.name,
      );
      if (current.spec?.holderIdentity !== this.#o.identity) return;
      await this.#o.client.update<Lease>(
        { ...leases, namespace: this.#o.namespace },
        {
          ...current,
          spec: {
            ...current.spec,
            holderIdentity: '',
            leaseDurationSeconds: 1,
            renewTime: microTime(this.#timers.now()),
          },
        },
      );
    } catch (err) {
      this.#failed(err);
    }
  }
}
