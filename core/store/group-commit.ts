import type Database from 'better-sqlite3';
import { SkiffError } from '../../sdk/errors.ts';
import type { StoreEvent } from './store.ts';

/** WriteOutcome is a write's result: a value (and maybe an event), or an expected refusal. */
export type WriteOutcome =
  | { ok: true; result: unknown; event?: StoreEvent; usesRevision: boolean }
  | { ok: false; error: SkiffError };

/** A queued write: run inside the batch's transaction, settled after its COMMIT. */
interface PendingWrite {
  run(rev: number): WriteOutcome;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** GroupCommitHooks connect the queue to the store's revision counter and watchers. */
export interface GroupCommitHooks {
  /** revision is the revision of the latest committed write. */
  revision(): number;
  /** persist records the batch's last revision inside its transaction. */
  persist(revision: number): void;
  /** committed runs after COMMIT with the new revision and the batch's events, in order. */
  committed(revision: number, events: StoreEvent[]): void;
  /** rolledBack runs when a fault undid a batch, so in-memory state can be restored. */
  rolledBack(): void;
  /**
   * sync, when given, makes a committed batch durable (the transaction itself did not wait for
   * the disk); it runs off the event loop, and the batch is acknowledged only once it resolved.
   */
  sync?(): Promise<void>;
}

/**
 * GroupCommit queues writes and commits those that arrive in one turn of the event loop in
 * one transaction, so concurrent writers share an fsync. A write is settled only after its
 * batch's COMMIT returned and, with a `sync` hook, once that hook made it durable; a refusal
 * (AlreadyExists, Conflict...) fails that write alone, a fault (I/O error) rolls back and fails
 * the whole batch. A failed sync leaves the disk's state unknown, so every later write fails.
 */
export class GroupCommit {
  private pending: PendingWrite[] = [];
  private flushing: Promise<void> | undefined;
  private syncing: Promise<void> | undefined;
  private broken: SkiffError | undefined;
  private count = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly maxBatch: number,
    private readonly hooks: GroupCommitHooks,
  ) {}

  /** commits is how many transactions have committed so far. */
  get commits(): number {
    return this.count;
  }

  /**
   * settled resolves once no batch is between its COMMIT and its acknowledgement; readers wait
   * for it so they never see a write that is not yet durable. Undefined when none is.
   */
  get settled(): Promise<void> | undefined {
    return this.syncing;
  }

  /** enqueue adds a write; `run` gets the revision the write would take. */
  enqueue<T>(run: (rev: number) => WriteOutcome): Promise<T> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ run, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushing) this.flushing = this.flushSoon();
    });
  }

  /** drain resolves once every queued write is settled. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flushSoon(): Promise<void> {
    while (this.pending.length > 0) {
      await new Promise<void>((r) => setImmediate(r));
      const batch = this.pending.splice(0, this.maxBatch);
      const done = this.commit(batch);
      if (done) {
        // Writes arriving while the disk syncs queue up and form the next, larger batch.
        this.syncing = done;
        await done;
        this.syncing = undefined;
      }
    }
    this.flushing = undefined;
  }

  /** commit runs a batch's transaction; with a sync hook it returns the acknowledgement's promise. */
  private commit(batch: PendingWrite[]): Promise<void> | undefined {
    if (this.broken) {
      for (const w of batch) w.reject(this.broken);
      return undefined;
    }
    const outcomes: WriteOutcome[] = [];
    const events: StoreEvent[] = [];
    let rev = this.hooks.revision();
    try {
      this.db.transaction(() => {
        for (const w of batch) {
          const outcome = w.run(rev + 1);
          outcomes.push(outcome);
          if (outcome.ok && outcome.usesRevision) rev++;
          if (outcome.ok && outcome.event) events.push(outcome.event);
        }
        if (rev !== this.hooks.revision()) this.hooks.persist(rev);
      })();
    } catch (error) {
      // Nothing of the batch was acknowledged, so nothing of it is lost.
      this.hooks.rolledBack();
      const fault = new SkiffError('InternalError', `store write failed: ${String(error)}`, {
        cause: error,
      });
      for (const w of batch) w.reject(fault);
      return undefined;
    }
    const sync = this.hooks.sync?.();
    if (!sync) {
      this.acknowledge(batch, outcomes, rev, events);
      return undefined;
    }
    return sync.then(
      () => this.acknowledge(batch, outcomes, rev, events),
      (error: unknown) => {
        this.broken = new SkiffError(
          'InternalError',
          `store sync failed, the store refuses writes until restarted: ${String(error)}`,
          { cause: error },
        );
        for (const w of batch) w.reject(this.broken);
        for (const w of this.pending.splice(0)) w.reject(this.broken);
      },
    );
  }

  private acknowledge(
    batch: PendingWrite[],
    outcomes: WriteOutcome[],
    rev: number,
    events: StoreEvent[],
  ): void {
    this.count++;
    this.hooks.committed(rev, events);
    batch.forEach((w, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) w.resolve(outcome.result);
      else w.reject(outcome?.error);
    });
  }
}
