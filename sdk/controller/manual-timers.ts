import type { Timers } from './timers.ts';

/**
 * ManualTimers is a Timers whose clock moves only when told (`advance`), for tests of code
 * built on the kit: due callbacks run in time order, none runs before its time.
 */
export class ManualTimers implements Timers {
  #now: number;
  #next = 0;
  readonly #pending = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#pending.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number);
  }

  /** pending is how many callbacks wait to run. */
  get pending(): number {
    return this.#pending.size;
  }

  /** advance moves the clock forward, running every callback that falls due on the way. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#pending)
        if (entry[1].at <= until && (!due || entry[1].at < due[1].at)) due = entry;
      if (!due) break;
      this.#pending.delete(due[0]);
      this.#now = due[1].at;
      due[1].fn();
    }
    this.#now = until;
  }
}
