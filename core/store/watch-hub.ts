import type { StoreEvent, StoreWatch, WatchListener } from './store.ts';

/** HubWatcher is one in-process watch: a key range, the next revision it wants, a queue. */
interface HubWatcher {
  start: string;
  end: string;
  from: number;
  listener: WatchListener;
  queue: StoreEvent[];
  draining: boolean;
  closed: boolean;
}

/**
 * WatchHub fans committed events out to in-process watchers. Its caller must add a watcher's
 * catch-up events and register it in one synchronous step, with no commit in between, so the
 * switch from history to the live tail has no gap and no duplicate.
 */
export class WatchHub {
  private readonly watchers = new Set<HubWatcher>();

  /** add registers a watcher whose history (events before the live tail) is already known. */
  add(
    start: string,
    end: string,
    from: number,
    history: StoreEvent[],
    listener: WatchListener,
  ): StoreWatch {
    const w: HubWatcher = {
      start,
      end,
      from,
      listener,
      queue: history,
      draining: false,
      closed: false,
    };
    this.watchers.add(w);
    this.schedule(w);
    return {
      close: async () => {
        w.closed = true;
        w.queue = [];
        this.watchers.delete(w);
      },
    };
  }

  /** publish hands committed events (in revision order) to every matching watcher. */
  publish(events: readonly StoreEvent[]): void {
    if (events.length === 0) return;
    for (const w of this.watchers) {
      let added = false;
      for (const e of events) {
        if (e.modRevision >= w.from && e.key >= w.start && e.key < w.end) {
          w.queue.push(e);
          added = true;
        }
      }
      if (added) this.schedule(w);
    }
  }

  /** fail ends every watcher with an error (the store is closing). */
  fail(error: Error): void {
    for (const w of this.watchers) {
      w.closed = true;
      w.queue = [];
      w.listener.onError(error);
    }
    this.watchers.clear();
  }

  /** size is the number of open watchers. */
  get size(): number {
    return this.watchers.size;
  }

  // Delivery runs in a microtask so a listener never runs inside a commit, and a listener that
  // writes to the store cannot re-enter the hub.
  private schedule(w: HubWatcher): void {
    if (w.draining || w.queue.length === 0) return;
    w.draining = true;
    queueMicrotask(() => {
      w.draining = false;
      const batch = w.queue;
      w.queue = [];
      for (const e of batch) {
        if (w.closed) return;
        w.listener.onEvent(e);
      }
    });
  }
}
