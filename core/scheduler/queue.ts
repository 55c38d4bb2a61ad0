import type { SchedulingPod } from '../../sdk/scheduler.ts';
import { podKey } from './node-info.ts';

/** QueuedPod is a pending pod with its queue bookkeeping. */
export interface QueuedPod {
  pod: SchedulingPod;
  readonly key: string;
  /** attempts counts the scheduling cycles that failed for this pod. */
  attempts: number;
  /** backoffUntil is when the pod may leave the back-off queue (ms since the epoch). */
  backoffUntil: number;
  /** seq orders pods that QueueSort ranks equal, first come first served. */
  seq: number;
  /** poppedAt is when the current attempt took the pod from the queue (performance.now()). */
  poppedAt: number;
}

/** QueueOptions tunes the per-pod exponential back-off and the clock. */
export interface QueueOptions {
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly now?: () => number;
}

/** Binary heap ordered by a less function. */
class Heap {
  private readonly items: QueuedPod[] = [];
  constructor(private readonly less: (a: QueuedPod, b: QueuedPod) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  push(item: QueuedPod): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(a[i] as QueuedPod, a[parent] as QueuedPod)) break;
      [a[i], a[parent]] = [a[parent] as QueuedPod, a[i] as QueuedPod];
      i = parent;
    }
  }

  pop(): QueuedPod | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l] as QueuedPod, a[m] as QueuedPod)) m = l;
        if (r < a.length && this.less(a[r] as QueuedPod, a[m] as QueuedPod)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as QueuedPod, a[i] as QueuedPod];
        i = m;
      }
    }
    return top;
  }

  remove(key: string): boolean {
    const i = this.items.findIndex((q) => q.key === key);
    if (i < 0) return false;
    const rest = this.items.splice(i, 1);
    // Rebuild: removals are rare (a pending pod deleted), so simplicity wins over a sift.
    const all = this.items.splice(0);
    for (const q of all) this.push(q);
    return rest.length === 1;
  }

  peek(): QueuedPod | undefined {
    return this.items[0];
  }
}

/**
 * SchedulingQueue holds the pending pods as Kubernetes does: activeQ ordered by the profile's
 * QueueSort, backoffQ for pods that failed recently (1 s doubling up to 10 s by default), and
 * the unschedulable pods, which go back to activeQ (through back-off) when the cluster changes
 * in a way that could help them.
 */
export class SchedulingQueue {
  private readonly active: Heap;
  private readonly backoff = new Heap((a, b) => a.backoffUntil < b.backoffUntil);
  private readonly unschedulable = new Map<string, QueuedPod>();
  /** Pods the scheduler is working on right now, so an update does not enqueue them twice. */
  private readonly inFlight = new Map<string, QueuedPod>();
  private readonly known = new Map<string, QueuedPod>();
  private seq = 0;
  private waiters: Array<(q: QueuedPod | undefined) => void> = [];
  private closed = false;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(less: (a: SchedulingPod, b: SchedulingPod) => boolean, opts: QueueOptions = {}) {
    this.active = new Heap((a, b) => less(a.pod, b.pod) || (!less(b.pod, a.pod) && a.seq < b.seq));
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** counts reports how many pods wait in each part of the queue. */
  counts(): { active: number; backoff: number; unschedulable: number } {
    this.flushBackoff();
    return {
      active: this.active.size,
      backoff: this.backoff.size,
      unschedulable: this.unschedulable.size,
    };
  }

  /** inFlightCount is how many pods are being scheduled or bound right now. */
  inFlightCount(): number {
    return this.inFlight.size;
  }

  /** add enqueues a new pending pod, or refreshes the object of one already known. */
  add(pod: SchedulingPod): void {
    const key = podKey(pod);
    const existing = this.known.get(key);
    if (existing !== undefined) {
      existing.pod = pod;
      // A changed pod may fit now: an unschedulable one gets another try.
      if (this.unschedulable.delete(key)) this.toBackoffOrActive(existing);
      return;
    }
    const q: QueuedPod = { pod, key, attempts: 0, backoffUntil: 0, seq: this.seq++, poppedAt: 0 };
    this.known.set(key, q);
    this.pushActive(q);
  }

  /** delete drops a pod (deleted, or bound by someone else) from every part of the queue. */
  delete(key: string): void {
    const q = this.known.get(key);
    const wasInFlight = this.inFlight.delete(key);
    if (q === undefined) return;
    this.known.delete(key);
    // A pod being scheduled sits in no queue: nothing to search for.
    if (wasInFlight) return;
    if (!this.unschedulable.delete(key) && !this.active.remove(key)) this.backoff.remove(key);
  }

  /** pop waits for the next pod to schedule; undefined once the queue is closed. */
  pop(): Promise<QueuedPod | undefined> {
    this.flushBackoff();
    const q = this.active.pop();
    if (q !== undefined) return Promise.resolve(this.take(q));
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** done tells the queue a pod's cycle ended with the pod placed (or gone). */
  done(key: string): void {
    this.inFlight.delete(key);
    this.known.delete(key);
  }

  /**
   * requeueUnschedulable parks a pod that did not fit. When `changedSince` is true (the cluster
   * changed while the pod was being scheduled) it goes to back-off at once instead.
   */
  requeueUnschedulable(q: QueuedPod, changedSince: boolean): void {
    this.inFlight.delete(q.key);
    if (this.closed || !this.known.has(q.key)) return;
    q.attempts += 1;
    if (changedSince) this.toBackoffOrActive(q);
    else this.unschedulable.set(q.key, q);
  }

  /** requeueError puts a pod whose cycle failed with an error in back-off. */
  requeueError(q: QueuedPod): void {
    this.inFlight.delete(q.key);
    if (this.closed || !this.known.has(q.key)) return;
    q.attempts += 1;
    this.toBackoffOrActive(q);
  }

  /** moveAllToActiveOrBackoff gives every unschedulable pod another try (a cluster event). */
  moveAllToActiveOrBackoff(): void {
    for (const q of this.unschedulable.values()) this.toBackoffOrActive(q);
    this.unschedulable.clear();
  }

  /** close ends pop() for every waiter. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  private take(q: QueuedPod): QueuedPod {
    this.inFlight.set(q.key, q);
    return q;
  }

  private backoffMs(attempts: number): number {
    if (attempts <= 0) return 0;
    return Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (attempts - 1));
  }

  private toBackoffOrActive(q: QueuedPod): void {
    q.backoffUntil = this.now() + this.backoffMs(q.attempts);
    if (q.backoffUntil <= this.now()) this.pushActive(q);
    else {
      this.backoff.push(q);
      this.armTimer();
    }
  }

  private pushActive(q: QueuedPod): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter(this.take(q));
    else this.active.push(q);
  }

  private flushBackoff(): void {
    const now = this.now();
    for (let q = this.backoff.peek(); q !== undefined && q.backoffUntil <= now; ) {
      this.backoff.pop();
      this.pushActive(q);
      q = this.backoff.peek();
    }
  }

  private armTimer(): void {
    if (this.timer !== undefined || this.closed) return;
    const next = this.backoff.peek();
    if (next === undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.flushBackoff();
        this.armTimer();
      },
      Math.max(1, next.backoffUntil - this.now()),
    );
    this.timer.unref();
  }
}
