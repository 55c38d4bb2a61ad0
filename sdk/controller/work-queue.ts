import { type BackoffOptions, KeyBackoff } from './backoff.ts';
import { realTimers, type Timers } from './timers.ts';

/** WorkQueueOptions configure a WorkQueue's back-off and time source. */
export interface WorkQueueOptions extends BackoffOptions {
  readonly timers?: Timers;
}

/**
 * WorkQueue holds keys to reconcile. A key is queued at most once however often it is added;
 * a key being processed is never handed to a second worker, and a key added again while it is
 * processed is handed out once more after `done`. Failed keys come back after a per-key
 * exponential back-off until `forget`.
 */
export class WorkQueue {
  readonly #queue: string[] = [];
  /** dirty holds keys that need processing (queued, or re-added while processing). */
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #waiting = new Map<string, { at: number; handle: unknown }>();
  readonly #getters: ((key: string | undefined) => void)[] = [];
  readonly #backoff: KeyBackoff;
  readonly #timers: Timers;
  #shutDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.#backoff = new KeyBackoff(options);
    this.#timers = options.timers ?? realTimers;
  }

  /** length is how many keys wait to be handed out. */
  get length(): number {
    return this.#queue.length;
  }

  /** shuttingDown tells whether shutDown was called. */
  get shuttingDown(): boolean {
    return this.#shutDown;
  }

  /** add queues a key unless it is already queued; a key being processed is queued after done. */
  add(key: string): void {
    if (this.#shutDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    const getter = this.#getters.shift();
    if (getter) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      getter(key);
    } else this.#queue.push(key);
  }

  /** addAfter adds the key once the delay has passed; an earlier pending add wins. */
  addAfter(key: string, ms: number): void {
    if (this.#shutDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.#timers.now() + ms;
    const pending = this.#waiting.get(key);
    if (pending && pending.at <= at) return;
    if (pending) this.#timers.clearTimeout(pending.handle);
    const handle = this.#timers.setTimeout(() => {
      this.#waiting.delete(key);
      this.add(key);
    }, ms);
    this.#waiting.set(key, { at, handle });
  }

  /** addRateLimited adds the key after its back-off delay, which doubles with each call. */
  addRateLimited(key: string): number {
    const delay = this.#backoff.next(key);
    this.addAfter(key, delay);
    return delay;
  }

  /** forget resets the key's back-off (call it when the key reconciled successfully). */
  forget(key: string): void {
    this.#backoff.forget(key);
  }

  /** retries is how many rate-limited adds the key had since it was last forgotten. */
  retries(key: string): number {
    return this.#backoff.failures(key);
  }

  /** get hands out the next key, waiting for one; undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    const key = this.#queue.shift();
    if (key !== undefined) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      return Promise.resolve(key);
    }
    if (this.#shutDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  /** done marks a key's processing finished; a key re-added meanwhile is queued again. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) {
      this.#dirty.delete(key);
      this.add(key);
    }
  }

  /** shutDown stops handing out keys: waiting getters receive undefined, delayed adds are dropped. */
  shutDown(): void {
    this.#shutDown = true;
    for (const { handle } of this.#waiting.values()) this.#timers.clearTimeout(handle);
    this.#waiting.clear();
    for (const getter of this.#getters.splice(0)) getter(undefined);
  }
}
