import type { Store, StoreEvent, StoreWatch, WatchListener } from '../../../core/store/store.ts';

/** Collector gathers a watch's events and its ending error. */
export class Collector implements WatchListener {
  readonly events: StoreEvent[] = [];
  error: Error | undefined;
  private waiters: (() => void)[] = [];

  onEvent(event: StoreEvent): void {
    this.events.push(event);
    this.wake();
  }

  onError(error: Error): void {
    this.error = error;
    this.wake();
  }

  /** until waits (up to timeoutMs) for a condition on the collected events. */
  async until(cond: (events: StoreEvent[]) => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond(this.events)) {
      if (this.error) throw this.error;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `watch condition not met after ${timeoutMs} ms (${this.events.length} events)`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** watchInto starts a watch that feeds a new Collector. */
export async function watchInto(
  store: Store,
  prefix: string,
  from: number,
): Promise<{ collector: Collector; watch: StoreWatch }> {
  const collector = new Collector();
  const watch = await store.watch(prefix, from, collector);
  return { collector, watch };
}

/** text decodes a stored value as UTF-8. */
export const text = (v: Uint8Array | undefined) =>
  v === undefined ? undefined : Buffer.from(v).toString('utf8');

/** waitFor polls a condition until it holds or timeoutMs passes. */
export async function waitFor(
  what: string,
  cond: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
