import type { Etcd3, IWatchResponse, Watcher } from 'etcd3';
import type { SkiffError } from '../../sdk/errors.ts';
import { prefixEnd } from './keys.ts';
import type { StoreEvent, StoreWatch, WatchListener } from './store.ts';

interface Subscriber {
  from: number;
  listener: WatchListener;
}

const num = (s: string | number | undefined) => Number(s ?? 0);

/**
 * EtcdWatchFeed is one etcd watch on a key range fanned out to in-process subscribers, each
 * with its own first revision. Sharing one live feed among many watchers of a prefix keeps
 * etcd from sending, and the client from decoding, every event once per watcher.
 */
export class EtcdWatchFeed {
  /** delivered is the revision up to which every event of the range has been delivered. */
  private delivered: number;
  private next: number;
  private readonly subscribers = new Set<Subscriber>();
  private readonly watcher: Watcher;
  private ended = false;
  /** ready resolves once etcd has created the watch, or rejects with its failure. */
  readonly ready: Promise<void>;

  /** constructor starts the etcd watch from revision `start` (inclusive). */
  constructor(
    client: Etcd3,
    readonly prefix: string,
    start: number,
    classify: (error: Error, next: number) => Promise<SkiffError>,
    private readonly onEnd: (feed: EtcdWatchFeed) => void,
  ) {
    this.next = start;
    this.delivered = start - 1;
    const builder = client
      .watch()
      .inRange({
        start: Buffer.from(prefix === '' ? '/' : prefix, 'latin1'),
        end: Buffer.from(prefixEnd(prefix), 'latin1'),
      })
      .withPreviousKV()
      .startRevision(String(start));
    this.watcher = builder.watcher();
    const request = (this.watcher as unknown as { request: { start_revision?: string } }).request;
    this.watcher.on('data', (res: IWatchResponse) => this.deliver(res));
    // The client resumes from the revision after the last response header it saw; that can
    // skip catch-up events not yet received, so resume from our own next revision instead.
    this.watcher.on('disconnected', () => {
      request.start_revision = String(this.next);
    });
    let connected = false;
    this.ready = new Promise<void>((resolve, reject) => {
      this.watcher.once('connected', () => {
        connected = true;
        resolve();
      });
      this.watcher.on('error', (error: Error) => {
        if (this.ended) return;
        this.end();
        void classify(error, this.next).then((failure) => {
          // Before etcd created the watch, the failure is the answer of watch() itself.
          if (!connected) reject(failure);
          else for (const s of this.subscribers) s.listener.onError(failure);
          this.subscribers.clear();
        });
      });
    });
    this.ready.catch(() => {});
  }

  /**
   * canServe tells whether a subscriber from revision `from` can join: only when no event it
   * wants has gone by already.
   */
  canServe(from: number): boolean {
    return !this.ended && from > this.delivered;
  }

  /** subscribe adds a watcher that receives the feed's events from revision `from` on. */
  subscribe(from: number, listener: WatchListener): StoreWatch {
    const sub: Subscriber = { from, listener };
    this.subscribers.add(sub);
    return {
      close: async () => {
        if (!this.subscribers.delete(sub)) return;
        if (this.subscribers.size === 0) {
          this.end();
          await this.watcher.cancel().catch(() => {});
        }
      },
    };
  }

  /** cancel ends the feed for every subscriber, telling each why (the store is closing). */
  async cancel(reason: Error): Promise<void> {
    const subscribers = [...this.subscribers];
    this.subscribers.clear();
    for (const s of subscribers) s.listener.onError(reason);
    this.end();
    await this.watcher.cancel().catch(() => {});
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd(this);
  }

  private deliver(res: IWatchResponse): void {
    for (const ev of res.events) {
      const rev = num(ev.kv.mod_revision);
      // After a reconnect etcd may send again what was already delivered.
      if (rev < this.next) continue;
      const event: StoreEvent = {
        type: ev.type === 'Delete' ? 'delete' : 'put',
        key: ev.kv.key.toString('latin1'),
        value: ev.kv.value,
        modRevision: rev,
        createRevision: num(ev.kv.create_revision),
      };
      if (ev.prev_kv) event.prevValue = ev.prev_kv.value;
      for (const s of this.subscribers) if (rev >= s.from) s.listener.onEvent(event);
      this.next = rev + 1;
      this.delivered = rev;
    }
  }
}
