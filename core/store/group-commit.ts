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
}

/**
 * GroupCommit queues writes and commits those that arrive in one turn of the event loop in
 * one transaction, so concurrent writers share an fsync. A write is settled only after its
 * batch's COMMIT returned; a refusal (AlreadyExists, Conflict...) fails that write alone, a
 * fault (I/O error) rolls back and fails the whole batch.
 */
export class GroupCommit {
  private pending: PendingWrite[] = [];
  private flushing: Promise<void> | undefined;
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

  /** enqueue adds a write; `run` gets the revision the write would take. */
  enqueue<T>(run: (rev: number) => WriteOutcome): Promise<T> {
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
      this.commit(this.pending.splice(0, this.maxBatch));
    }
    this.flushing = undefined;
  }

  private commit(batch: PendingWrite[]): void {
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
      return;
    }
    this.count++;
    this.hooks.committed(rev, events);
    batch.forEach((w, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) w.resolve(outcome.result);
      else w.reject(outcome?.error);
    });
  }
}
