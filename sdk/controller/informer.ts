import type { KubeObject } from '../api/meta.ts';
import type { KubeClient } from '../client/client.ts';
import type { ResourceRef } from '../client/resource.ts';
import { statusError } from '../client/status-error.ts';
import { isSkiffError } from '../errors.ts';
import type { Logger } from '../plugin.ts';
import { keyOf } from './keys.ts';
import { type IndexFunction, ObjectCache } from './object-cache.ts';
import { realTimers, sleep, type Timers } from './timers.ts';

/** InformerHandlers are called after the cache changed, in event order. */
export interface InformerHandlers<T extends KubeObject> {
  add?(object: T): void;
  update?(old: T, object: T): void;
  /** delete receives the last state the informer knew of the object. */
  delete?(object: T): void;
}

/** InformerOptions select what to follow and how to index it. */
export interface InformerOptions<T extends KubeObject> {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** indexers add indexes besides the namespace index, for `cache.byIndex(name, value)`. */
  readonly indexers?: Readonly<Record<string, IndexFunction<T>>>;
  /**
   * transform reshapes each object before the cache keeps it and handlers see it, so a
   * consumer that needs only metadata does not hold whole objects in memory. It must keep
   * metadata.name, namespace and resourceVersion, by which the cache tells changes apart.
   */
  readonly transform?: (object: T) => T;
  /** watchTimeoutSeconds bounds each watch request; the informer then resumes (default 300). */
  readonly watchTimeoutSeconds?: number;
  /** pageSize is the list page size (default 500). */
  readonly pageSize?: number;
  /** retryMs is the pause after a failed list or watch, doubled up to 30 s (default 250). */
  readonly retryMs?: number;
  readonly logger?: Logger;
  readonly timers?: Timers;
}

/** InformerStats count what an informer asked the server, so its recovery can be observed. */
export interface InformerStats {
  lists: number;
  watches: number;
  expired: number;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Informer keeps a local, indexed copy of a collection: it lists, then watches from the list's
 * resourceVersion. When a watch ends (timeout, server restart) it resumes from the last
 * resourceVersion it saw, bookmarks included; when that version has been compacted away (410
 * Expired) it lists again and reports the differences to the handlers as adds, updates and
 * deletes.
 */
export class Informer<T extends KubeObject = KubeObject> {
  readonly cache: ObjectCache<T>;
  readonly stats: InformerStats = { lists: 0, watches: 0, expired: 0 };
  readonly #client: Pick<KubeClient, 'list' | 'watch'>;
  readonly #ref: ResourceRef;
  readonly #options: InformerOptions<T>;
  readonly #handlers: InformerHandlers<T>[] = [];
  readonly #timers: Timers;
  readonly #logger: Logger;
  #resourceVersion = '';
  #synced = false;
  #syncWaiters: (() => void)[] = [];
  #abort: AbortController | undefined;
  #running: Promise<void> | undefined;

  constructor(
    client: Pick<KubeClient, 'list' | 'watch'>,
    ref: ResourceRef,
    options: InformerOptions<T> = {},
  ) {
    this.#client = client;
    this.#ref = ref;
    this.#options = options;
    this.#timers = options.timers ?? realTimers;
    this.#logger = options.logger ?? silent;
    this.cache = new ObjectCache<T>(options.indexers);
  }

  /** resourceVersion is the last version the informer saw (list, event or bookmark). */
  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  /** hasSynced tells whether the first list has filled the cache. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** waitForSync resolves once the first list has filled the cache. */
  waitForSync(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  /** addHandlers registers handlers; objects already cached are replayed to `add`. */
  addHandlers(handlers: InformerHandlers<T>): void {
    this.#handlers.push(handlers);
    for (const o of this.cache.list()) handlers.add?.(o);
  }

  /** start begins list-and-watch in the background; stop() ends it. */
  start(): void {
    if (this.#running) return;
    this.#abort = new AbortController();
    this.#running = this.#run(this.#abort.signal);
  }

  /** stop ends the watch and waits for the informer's loop to return. */
  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#running;
    this.#running = undefined;
  }

  async #run(signal: AbortSignal): Promise<void> {
    const base = this.#options.retryMs ?? 250;
    let pause = base;
    // A restarted informer resumes from what it saw; only the first start lists.
    let needList = !this.#synced;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.#list();
          needList = false;
        }
        const started = this.#timers.now();
        const events = await this.#watch(signal);
        if (events === 0 && this.#timers.now() - started < 1_000) {
          // A watch that ends at once with nothing in it is a server in trouble: do not spin.
          await sleep(this.#timers, pause, signal);
          pause = Math.min(pause * 2, 30_000);
        } else pause = base;
      } catch (err) {
        if (signal.aborted) break;
        if (isSkiffError(err, 'Expired')) {
          this.stats.expired++;
          this.#logger.info('watch resourceVersion expired; listing again', {
            resource: this.#ref.plural,
            resourceVersion: this.#resourceVersion,
          });
          needList = true;
          continue;
        }
        this.#logger.warn('list or watch failed; retrying', {
          resource: this.#ref.plural,
          error: err instanceof Error ? err.message : String(err),
          retryInMs: pause,
        });
        await sleep(this.#timers, pause, signal);
        pause = Math.min(pause * 2, 30_000);
      }
    }
  }

  async #list(): Promise<void> {
    this.stats.lists++;
    const seen = new Map<string, T>();
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.#client.list<T>(this.#ref, {
        labelSelector: this.#options.labelSelector,
        fieldSelector: this.#options.fieldSelector,
        limit: this.#options.pageSize ?? 500,
        continue: cont,
      });
      for (const o of page.items) seen.set(keyOf(o), this.#shape(o));
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion ?? rv;
    } while (cont);
    for (const key of this.cache.keys()) {
      if (!seen.has(key)) {
        const gone = this.cache.remove(key) as T;
        this.#emit((h) => h.delete?.(gone));
      }
    }
    for (const o of seen.values()) this.#apply(o);
    this.#resourceVersion = rv;
    if (!this.#synced) {
      this.#synced = true;
      for (const w of this.#syncWaiters.splice(0)) w();
    }
  }

  /** watch follows one watch request to its end and returns how many events it carried. */
  async #watch(signal: AbortSignal): Promise<number> {
    let count = 0;
    this.stats.watches++;
    const events = this.#client.watch<T>(this.#ref, {
      labelSelector: this.#options.labelSelector,
      fieldSelector: this.#options.fieldSelector,
      resourceVersion: this.#resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: this.#options.watchTimeoutSeconds ?? 300,
      signal,
    });
    for await (const event of events) {
      count++;
      const rv = event.object.metadata?.resourceVersion;
      switch (event.type) {
        case 'ADDED':
        case 'MODIFIED':
          this.#apply(this.#shape(event.object));
          break;
        case 'DELETED': {
          const gone = this.cache.remove(keyOf(event.object));
          this.#emit((h) => h.delete?.(gone ?? this.#shape(event.object)));
          break;
        }
        case 'BOOKMARK':
          break;
        case 'ERROR':
          throw statusError(500, event.object);
      }
      if (rv) this.#resourceVersion = rv;
    }
    return count;
  }

  #shape(object: T): T {
    const transform = this.#options.transform;
    return transform === undefined ? object : transform(object);
  }

  #apply(object: T): void {
    const old = this.cache.put(object);
    if (!old) this.#emit((h) => h.add?.(object));
    else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion)
      this.#emit((h) => h.update?.(old, object));
  }

  #emit(call: (h: InformerHandlers<T>) => void): void {
    for (const h of this.#handlers) {
      try {
        call(h);
      } catch (err) {
        this.#logger.error('informer handler threw', {
          resource: this.#ref.plural,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
  }
}
