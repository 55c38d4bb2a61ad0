import {
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IBackoff,
  retry,
} from 'cockatiel';
import { Etcd3, GRPCUnavailableError, type IKeyValue, type IRequestOp } from 'etcd3';
import { SkiffError } from '../../sdk/errors.ts';
import { defaultCompaction, startAutoCompaction } from './auto-compaction.ts';
import { etcdError } from './etcd-errors.ts';
import { EtcdWatchFeed } from './etcd-watch.ts';
import {
  checkKey,
  checkLimit,
  checkPrefix,
  checkRevision,
  checkTtl,
  decodeContinue,
  encodeContinue,
  prefixEnd,
  valueBytes,
} from './keys.ts';
import type {
  CompactionOptions,
  CreateOptions,
  DeleteOptions,
  ListOptions,
  ListResult,
  Store,
  StoreItem,
  StoreValue,
  StoreWatch,
  UpdateOptions,
  WatchListener,
} from './store.ts';

/** EtcdStoreOptions tune the etcd store. */
export interface EtcdStoreOptions {
  /** deadlineMs bounds every unary call (default 5000). */
  deadlineMs?: number;
  compaction?: CompactionOptions;
  onBackgroundError?: (error: unknown) => void;
}

const unreachable = (e: Error) => e instanceof GRPCUnavailableError;
const buf = (s: string) => Buffer.from(s, 'latin1');
const num = (s: string | number | undefined) => Number(s ?? 0);
const toItem = (kv: IKeyValue): StoreItem => ({
  key: kv.key.toString('latin1'),
  value: kv.value,
  createRevision: num(kv.create_revision),
  modRevision: num(kv.mod_revision),
});

/**
 * EtcdStore keeps the state in an etcd 3.4+ cluster through the etcd3 client. Every unary call
 * has a deadline; guarded writes are etcd transactions comparing the key's revisions; TTLs are
 * leases. Watches share the client's one multiplexed stream and resume after a member dies
 * from the revision after the last one delivered.
 */
export class EtcdStore implements Store {
  private readonly client: Etcd3;
  private readonly stopCompaction: () => void;
  /** feeds holds the live feed of each watched prefix, which new watchers of the present join. */
  private readonly feeds = new Map<string, EtcdWatchFeed>();
  private readonly openFeeds = new Set<EtcdWatchFeed>();
  private closed = false;

  constructor(hosts: string[], options: EtcdStoreOptions = {}) {
    const deadlineMs = options.deadlineMs ?? 5000;
    this.client = new Etcd3({
      hosts,
      dialTimeout: deadlineMs,
      // A list of many objects easily exceeds gRPC's default 4 MiB response limit.
      grpcOptions: { 'grpc.max_receive_message_length': -1 },
      // Only a member that cannot be reached is avoided and the call tried on another one. A
      // call that timed out may have been applied: repeating it could answer AlreadyExists or
      // Conflict to the caller's own write, so a timeout is the caller's answer.
      faultHandling: {
        host: () =>
          circuitBreaker(handleWhen(unreachable), {
            halfOpenAfter: 1000,
            breaker: new ConsecutiveBreaker(3),
          }),
        global: retry(handleWhen(unreachable), { maxAttempts: hosts.length }),
        // etcd3 declares this as a backoff but calls it as a factory, which is what it gets.
        watchBackoff: new ExponentialBackoff({
          initialDelay: 100,
          maxDelay: 2000,
        }) as unknown as IBackoff<unknown>,
      },
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + deadlineMs }),
    });
    const onError =
      options.onBackgroundError ??
      ((e: unknown) => process.stderr.write(`skiff store: ${String(e)}\n`));
    this.stopCompaction = startAutoCompaction(
      this,
      options.compaction ?? defaultCompaction,
      onError,
    );
  }

  async get(key: string): Promise<StoreItem | undefined> {
    checkKey(key);
    const res = await this.call(`get ${key}`, () => this.client.kv.range({ key: buf(key) }));
    const kv = res.kvs[0];
    return kv && toItem(kv);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    checkPrefix(prefix);
    const limit = checkLimit(options.limit);
    let revision = 0;
    let start = prefix === '' ? '/' : prefix;
    if (options.continue !== undefined) {
      const token = decodeContinue(options.continue, prefix);
      revision = token.revision;
      start = `${token.after}\x00`;
    } else if (options.revision !== undefined && options.revision !== 0) {
      checkRevision('revision', options.revision);
      revision = options.revision;
    }
    const res = await this.call(`list ${prefix}`, () =>
      this.client.kv.range({
        key: buf(start),
        range_end: buf(prefixEnd(prefix)),
        revision,
        limit,
      }),
    );
    const result: ListResult = {
      items: res.kvs.map(toItem),
      revision: revision || num(res.header.revision),
    };
    const last = result.items[result.items.length - 1];
    if (res.more && last) {
      result.continue = encodeContinue({ revision: result.revision, after: last.key });
      result.remaining = num(res.count) - result.items.length;
    }
    return result;
  }

  async count(prefix: string): Promise<number> {
    checkPrefix(prefix);
    const res = await this.call(`count ${prefix}`, () =>
      this.client.kv.range({
        key: buf(prefix === '' ? '/' : prefix),
        range_end: buf(prefixEnd(prefix)),
        count_only: true,
      }),
    );
    return num(res.count);
  }

  async create(key: string, value: StoreValue, options: CreateOptions = {}): Promise<number> {
    checkKey(key);
    checkTtl(options.ttlSeconds);
    const bytes = Buffer.from(valueBytes(value));
    const lease = await this.lease(options.ttlSeconds);
    const res = await this.call(`create ${key}`, () =>
      this.client.kv.txn({
        compare: [{ key: buf(key), target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key: buf(key), value: bytes, lease } }],
      }),
    );
    if (!res.succeeded) throw new SkiffError('AlreadyExists', `key ${key} already exists`);
    return num(res.header.revision);
  }

  async update(key: string, value: StoreValue, options: UpdateOptions = {}): Promise<number> {
    checkKey(key);
    checkTtl(options.ttlSeconds);
    if (options.expectedModRevision !== undefined) {
      checkRevision('expectedModRevision', options.expectedModRevision);
    }
    const bytes = Buffer.from(valueBytes(value));
    const lease = await this.lease(options.ttlSeconds);
    const res = await this.guarded(`update ${key}`, key, options.expectedModRevision, {
      request_put: { key: buf(key), value: bytes, lease },
    });
    return num(res.header.revision);
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<StoreItem> {
    checkKey(key);
    if (options.expectedModRevision !== undefined) {
      checkRevision('expectedModRevision', options.expectedModRevision);
    }
    const res = await this.guarded(`delete ${key}`, key, options.expectedModRevision, {
      request_delete_range: { key: buf(key), prev_kv: true },
    });
    const prev = res.responses[0]?.response_delete_range?.prev_kvs[0];
    if (!prev)
      throw new SkiffError('InternalError', `delete ${key}: etcd returned no previous value`);
    return toItem(prev);
  }

  async watch(prefix: string, fromRevision: number, listener: WatchListener): Promise<StoreWatch> {
    checkPrefix(prefix);
    checkRevision('fromRevision', fromRevision);
    this.checkOpen();
    // etcd accepts a watch from a compacted revision and cancels it just after; asking for a
    // read at that revision first turns the common case into an immediate Expired.
    const current = await this.currentRevision();
    if (fromRevision <= current) {
      await this.call(`watch ${prefix}`, () =>
        this.client.kv.range({ key: buf(prefix || '/'), revision: fromRevision, count_only: true }),
      );
    }
    // A watch of the present joins the prefix's live feed (or starts it); one that must replay
    // history gets a feed of its own.
    const shared = this.feeds.get(prefix);
    if (shared?.canServe(fromRevision)) {
      const joined = shared.subscribe(fromRevision, listener);
      await shared.ready;
      return joined;
    }
    const live = fromRevision > current && !shared;
    const feed = new EtcdWatchFeed(
      this.client,
      prefix,
      fromRevision,
      (error, next) => this.watchError(error, prefix, next),
      (ended) => {
        if (this.feeds.get(prefix) === ended) this.feeds.delete(prefix);
        this.openFeeds.delete(ended);
      },
    );
    this.openFeeds.add(feed);
    if (live) this.feeds.set(prefix, feed);
    const watch = feed.subscribe(fromRevision, listener);
    await feed.ready;
    return watch;
  }

  async compact(revision: number): Promise<void> {
    checkRevision('revision', revision);
    await this.call(`compact ${revision}`, () =>
      this.client.kv.compact({ revision, physical: false }),
    );
  }

  async currentRevision(): Promise<number> {
    const res = await this.call('current revision', () =>
      this.client.kv.range({ key: buf('/'), count_only: true }),
    );
    return num(res.header.revision);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopCompaction();
    const reason = new SkiffError('ServiceUnavailable', 'the store is closed');
    await Promise.all([...this.openFeeds].map((f) => f.cancel(reason)));
    this.client.close();
  }

  private async guarded(what: string, key: string, expected: number | undefined, op: IRequestOp) {
    const compare =
      expected === undefined
        ? {
            key: buf(key),
            target: 'Create' as const,
            result: 'Greater' as const,
            create_revision: 0,
          }
        : {
            key: buf(key),
            target: 'Mod' as const,
            result: 'Equal' as const,
            mod_revision: expected,
          };
    const res = await this.call(what, () =>
      this.client.kv.txn({
        compare: [compare],
        success: [op],
        failure: [{ request_range: { key: buf(key) } }],
      }),
    );
    if (res.succeeded) return res;
    const cur = res.responses[0]?.response_range?.kvs[0];
    if (!cur) throw new SkiffError('NotFound', `key ${key} not found`);
    throw new SkiffError(
      'Conflict',
      `key ${key} is at revision ${num(cur.mod_revision)}, not the expected ${expected}`,
    );
  }

  private async lease(ttlSeconds: number | undefined): Promise<string | undefined> {
    if (!ttlSeconds) return undefined;
    const res = await this.call('grant lease', () =>
      this.client.leaseClient.leaseGrant({ TTL: ttlSeconds }),
    );
    return res.ID;
  }

  /** watchError classifies a watch that etcd cancelled: compacted history is Expired. */
  private async watchError(error: Error, prefix: string, next: number): Promise<SkiffError> {
    if (!this.closed) {
      try {
        // etcd 3.4 cancels a compacted watch without a reason; a read at that revision tells.
        const current = await this.currentRevision();
        if (next <= current) {
          await this.client.kv.range({ key: buf(prefix || '/'), revision: next, count_only: true });
        }
      } catch (e) {
        const typed = etcdError(e, `watch ${prefix}`);
        if (typed.code === 'Expired') return typed;
      }
    }
    return etcdError(error, `watch ${prefix}`);
  }

  private checkOpen(): void {
    if (this.closed) throw new SkiffError('ServiceUnavailable', 'the store is closed');
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.checkOpen();
    try {
      return await fn();
    } catch (error) {
      throw etcdError(error, what);
    }
  }
}
