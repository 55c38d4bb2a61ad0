import { closeSync, fdatasync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SkiffError } from '../../sdk/errors.ts';
import { defaultCompaction, startAutoCompaction } from './auto-compaction.ts';
import { GroupCommit, type WriteOutcome } from './group-commit.ts';
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
import { type KvRow, prepareStatements, type Statements } from './sqlite-schema.ts';
import type {
  CompactionOptions,
  CreateOptions,
  DeleteOptions,
  ListOptions,
  ListResult,
  Store,
  StoreEvent,
  StoreItem,
  StoreValue,
  StoreWatch,
  UpdateOptions,
  WatchListener,
} from './store.ts';
import { WatchHub } from './watch-hub.ts';

/** SqliteStoreOptions tune the embedded store. */
export interface SqliteStoreOptions {
  compaction?: CompactionOptions;
  /** ttlSweepMs is how often keys past their time to live are deleted (default 1000). */
  ttlSweepMs?: number;
  /** maxBatch caps the writes committed in one transaction (default 1000). */
  maxBatch?: number;
  /** lockWaitMs is how long opening waits for another process to release the file (default 2000). */
  lockWaitMs?: number;
  /** onBackgroundError receives failures of compaction and TTL sweeps (default: stderr). */
  onBackgroundError?: (error: unknown) => void;
}

const empty = Buffer.alloc(0);
const asBuffer = (b: Uint8Array): Buffer =>
  Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const toItem = (r: KvRow): StoreItem => ({
  key: r.key,
  value: r.value,
  createRevision: r.create_rev,
  modRevision: r.mod_rev,
});

/**
 * SqliteStore is the embedded store: one SQLite file in WAL mode; a write is acknowledged only
 * once its transaction is on disk. Concurrent writes are queued and committed together, one
 * transaction (one fsync) per batch. The fsync of the write-ahead log runs on libuv's thread
 * pool rather than inside COMMIT (synchronous=NORMAL plus an fdatasync of the log before
 * acknowledging is as durable as synchronous=FULL), so requests are served meanwhile; reads
 * wait for a batch being synced, so nothing not yet durable is ever seen. Watchers are served
 * from the history table for catch-up and from memory for the live tail.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly st: Statements;
  private readonly hub = new WatchHub();
  private revision: number;
  private compacted: number;
  private readonly writes: GroupCommit;
  private closed = false;
  private readonly stopCompaction: () => void;
  private readonly sweeper: NodeJS.Timeout;
  /** walFd is the write-ahead log's descriptor, opened at the first sync. */
  private walFd: number | undefined;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path, { timeout: options.lockWaitMs ?? 2000 });
    try {
      // One process owns the file: the revision counter lives in this process's memory.
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.pragma('journal_mode = WAL');
      // In memory there is no disk to wait for; on disk the log is synced by syncLog.
      this.db.pragma(path === ':memory:' ? 'synchronous = FULL' : 'synchronous = NORMAL');
      this.st = prepareStatements(this.db);
    } catch (error) {
      this.db.close();
      if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
        throw new SkiffError(
          'ServiceUnavailable',
          `the store file ${path} is held by another open store`,
          { cause: error },
        );
      }
      throw error;
    }
    this.revision = this.st.meta.get('revision')?.value ?? 1;
    this.compacted = this.st.meta.get('compacted')?.value ?? 0;
    this.writes = new GroupCommit(this.db, options.maxBatch ?? 1000, {
      revision: () => this.revision,
      persist: (rev) => this.st.setMeta.run(rev, 'revision'),
      committed: (rev, events) => {
        this.revision = rev;
        this.hub.publish(events);
      },
      // Compaction may have moved the compacted revision inside the undone batch.
      rolledBack: () => {
        this.compacted = this.st.meta.get('compacted')?.value ?? this.compacted;
      },
      sync: path === ':memory:' ? undefined : () => this.syncLog(path),
    });
    const onError =
      options.onBackgroundError ??
      ((e: unknown) => process.stderr.write(`skiff store: ${String(e)}\n`));
    this.stopCompaction = startAutoCompaction(
      this,
      options.compaction ?? defaultCompaction,
      onError,
    );
    this.sweeper = setInterval(() => this.sweep().catch(onError), options.ttlSweepMs ?? 1000);
    this.sweeper.unref();
  }

  async get(key: string): Promise<StoreItem | undefined> {
    checkKey(key);
    this.checkOpen();
    if (this.writes.settled) await this.writes.settled;
    const row = this.st.get.get(key);
    return row && toItem(row);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    checkPrefix(prefix);
    this.checkOpen();
    const limit = checkLimit(options.limit);
    if (this.writes.settled) await this.writes.settled;
    let revision = this.revision;
    let start = prefix;
    if (options.continue !== undefined) {
      const token = decodeContinue(options.continue, prefix);
      revision = token.revision;
      // A space sorts after the last key and before any key that extends it.
      start = `${token.after} `;
    } else if (options.revision !== undefined && options.revision !== 0) {
      checkRevision('revision', options.revision);
      revision = options.revision;
    }
    this.checkReadable(revision);
    const end = prefixEnd(prefix);
    // The current state answers for the current revision; history for older ones.
    const current = revision === this.revision;
    const max = limit > 0 ? limit + 1 : -1;
    const rows = current
      ? this.st.listNow.all(start, end, max)
      : this.st.listAt.all(start, end, revision, max);
    const result: ListResult = { items: [], revision };
    if (limit > 0 && rows.length > limit) {
      rows.length = limit;
      const last = rows[limit - 1]?.key ?? start;
      result.continue = encodeContinue({ revision, after: last });
      const rest = `${last} `;
      result.remaining =
        (current ? this.st.count.get(rest, end) : this.st.countAt.get(rest, end, revision))?.n ?? 0;
    }
    result.items = rows.map(toItem);
    return result;
  }

  async count(prefix: string): Promise<number> {
    checkPrefix(prefix);
    this.checkOpen();
    if (this.writes.settled) await this.writes.settled;
    return this.st.count.get(prefix, prefixEnd(prefix))?.n ?? 0;
  }

  async create(key: string, value: StoreValue, options: CreateOptions = {}): Promise<number> {
    checkKey(key);
    checkTtl(options.ttlSeconds);
    const bytes = asBuffer(valueBytes(value));
    const expires = options.ttlSeconds ? Date.now() + options.ttlSeconds * 1000 : null;
    return this.enqueue((rev) => {
      if (this.st.get.get(key)) {
        return { ok: false, error: new SkiffError('AlreadyExists', `key ${key} already exists`) };
      }
      this.st.insertLog.run(rev, key, bytes, rev, 0);
      this.st.insertKv.run(key, bytes, rev, rev, expires);
      const event: StoreEvent = {
        type: 'put',
        key,
        value: bytes,
        modRevision: rev,
        createRevision: rev,
      };
      return { ok: true, result: rev, event, usesRevision: true };
    });
  }

  async update(key: string, value: StoreValue, options: UpdateOptions = {}): Promise<number> {
    checkKey(key);
    checkTtl(options.ttlSeconds);
    if (options.expectedModRevision !== undefined) {
      checkRevision('expectedModRevision', options.expectedModRevision);
    }
    const bytes = asBuffer(valueBytes(value));
    const expires = options.ttlSeconds ? Date.now() + options.ttlSeconds * 1000 : null;
    return this.enqueue((rev) => {
      const cur = this.st.get.get(key);
      const refused = refusal(key, cur, options.expectedModRevision);
      if (refused || !cur) return { ok: false, error: refused ?? notFound(key) };
      this.st.insertLog.run(rev, key, bytes, cur.create_rev, 0);
      this.st.updateKv.run(bytes, rev, expires, key);
      const event: StoreEvent = {
        type: 'put',
        key,
        value: bytes,
        prevValue: cur.value,
        modRevision: rev,
        createRevision: cur.create_rev,
      };
      return { ok: true, result: rev, event, usesRevision: true };
    });
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<StoreItem> {
    checkKey(key);
    if (options.expectedModRevision !== undefined) {
      checkRevision('expectedModRevision', options.expectedModRevision);
    }
    return this.enqueue((rev) => this.deleteAt(rev, key, options.expectedModRevision));
  }

  async watch(prefix: string, fromRevision: number, listener: WatchListener): Promise<StoreWatch> {
    checkPrefix(prefix);
    checkRevision('fromRevision', fromRevision);
    this.checkOpen();
    if (this.writes.settled) await this.writes.settled;
    if (fromRevision < this.compacted) {
      throw expired(fromRevision, this.compacted);
    }
    // History and registration happen in one synchronous step: no commit can slip between.
    const end = prefixEnd(prefix);
    const history: StoreEvent[] = [];
    if (fromRevision <= this.revision) {
      for (const r of this.st.history.iterate(fromRevision, prefix, end)) {
        const deleted = r.deleted === 1;
        const event: StoreEvent = {
          type: deleted ? 'delete' : 'put',
          key: r.key,
          value: r.value,
          modRevision: r.rev,
          createRevision: r.create_rev,
        };
        if (r.prev) event.prevValue = r.prev;
        history.push(event);
      }
    }
    return this.hub.add(prefix, end, fromRevision, history, listener);
  }

  async compact(revision: number): Promise<void> {
    checkRevision('revision', revision);
    return this.enqueue(() => {
      if (revision > this.revision) {
        return {
          ok: false,
          error: new SkiffError(
            'BadRequest',
            `cannot compact to revision ${revision}: the current revision is ${this.revision}`,
          ),
        };
      }
      if (revision <= this.compacted) {
        return { ok: false, error: expired(revision, this.compacted) };
      }
      this.st.compact.run(revision, revision);
      this.st.setMeta.run(revision, 'compacted');
      this.compacted = revision;
      return { ok: true, result: undefined, usesRevision: false };
    });
  }

  /** commitCount is how many transactions have committed writes since the store opened. */
  get commitCount(): number {
    return this.writes.commits;
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.revision;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopCompaction();
    clearInterval(this.sweeper);
    await this.writes.drain();
    this.hub.fail(new SkiffError('ServiceUnavailable', 'the store is closed'));
    this.db.close();
    if (this.walFd !== undefined) closeSync(this.walFd);
  }

  /** syncLog flushes the write-ahead log (and, the first time, its directory entry) to disk. */
  private async syncLog(path: string): Promise<void> {
    if (this.walFd === undefined) {
      // SQLite keeps the same log file for as long as the database is open.
      this.walFd = openSync(`${path}-wal`, 'r');
      const dir = openSync(dirname(path), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
    const fd = this.walFd;
    await new Promise<void>((resolve, reject) => {
      fdatasync(fd, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** sweep deletes keys past their time to live, as ordinary deletes that watchers see. */
  private async sweep(): Promise<void> {
    if (this.closed) return;
    const due = this.st.expired.all(Date.now());
    await Promise.all(
      due.map((row) =>
        this.enqueue((rev) => {
          const outcome = this.deleteAt(rev, row.key, row.mod_rev);
          // A key rewritten or deleted since the sweep looked is no longer due.
          return outcome.ok ? outcome : { ok: true, result: undefined, usesRevision: false };
        }),
      ),
    );
  }

  private deleteAt(rev: number, key: string, expected: number | undefined): WriteOutcome {
    const cur = this.st.get.get(key);
    const refused = refusal(key, cur, expected);
    if (refused || !cur) return { ok: false, error: refused ?? notFound(key) };
    this.st.insertLog.run(rev, key, empty, 0, 1);
    this.st.deleteKv.run(key);
    const event: StoreEvent = {
      type: 'delete',
      key,
      value: empty,
      prevValue: cur.value,
      modRevision: rev,
      createRevision: 0,
    };
    return { ok: true, result: toItem(cur), event, usesRevision: true };
  }

  private checkOpen(): void {
    if (this.closed) throw new SkiffError('ServiceUnavailable', 'the store is closed');
  }

  private checkReadable(revision: number): void {
    if (revision < this.compacted) throw expired(revision, this.compacted);
    if (revision > this.revision) {
      throw new SkiffError(
        'BadRequest',
        `revision ${revision} is newer than the store's current revision ${this.revision}`,
      );
    }
  }

  private enqueue<T>(run: (rev: number) => WriteOutcome): Promise<T> {
    if (this.closed) {
      return Promise.reject(new SkiffError('ServiceUnavailable', 'the store is closed'));
    }
    return this.writes.enqueue<T>(run);
  }
}

function notFound(key: string): SkiffError {
  return new SkiffError('NotFound', `key ${key} not found`);
}

function expired(revision: number, compacted: number): SkiffError {
  return new SkiffError(
    'Expired',
    `revision ${revision} has been compacted; the oldest revision available is ${compacted}`,
  );
}

/** refusal is the error a guarded write gets for the key's current row, if any. */
function refusal(key: string, cur: KvRow | undefined, expected: number | undefined) {
  if (!cur) return notFound(key);
  if (expected !== undefined && cur.mod_rev !== expected) {
    return new SkiffError(
      'Conflict',
      `key ${key} is at revision ${cur.mod_rev}, not the expected ${expected}`,
    );
  }
  return undefined;
}
