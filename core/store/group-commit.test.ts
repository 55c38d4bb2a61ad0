import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isSkiffError, SkiffError } from '../../sdk/errors.ts';
import { GroupCommit, type GroupCommitHooks } from './group-commit.ts';

function setup(sync?: () => Promise<void>) {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (rev INTEGER PRIMARY KEY, note TEXT)');
  const insert = db.prepare<[number, string]>('INSERT INTO t (rev, note) VALUES (?, ?)');
  const calls: string[] = [];
  let revision = 1;
  const hooks: GroupCommitHooks = {
    revision: () => revision,
    persist: (rev) => calls.push(`persist ${rev}`),
    committed: (rev, events) => {
      revision = rev;
      calls.push(`committed ${rev} with ${events.length} events`);
    },
    rolledBack: () => calls.push('rolled back'),
    sync,
  };
  const queue = new GroupCommit(db, 100, hooks);
  const write = (note: string) =>
    queue.enqueue<number>((rev) => {
      insert.run(rev, note);
      return { ok: true, result: rev, usesRevision: true };
    });
  const rows = () => db.prepare('SELECT rev, note FROM t ORDER BY rev').all();
  return { db, queue, calls, write, rows };
}

describe('GroupCommit', () => {
  it('commits one turn of writes in one transaction, in order, with consecutive revisions', async () => {
    const { queue, calls, write, rows } = setup();
    const revs = await Promise.all([write('a'), write('b'), write('c')]);
    expect(revs).toEqual([2, 3, 4]);
    expect(queue.commits).toBe(1);
    expect(calls).toEqual(['persist 4', 'committed 4 with 0 events']);
    expect(rows()).toEqual([
      { rev: 2, note: 'a' },
      { rev: 3, note: 'b' },
      { rev: 4, note: 'c' },
    ]);
  });

  it('fails only the refused write and gives its revision to the next one', async () => {
    const { queue, write } = setup();
    const refused = queue.enqueue(() => ({
      ok: false,
      error: new SkiffError('Conflict', 'stale'),
    }));
    const [a, r, b] = await Promise.allSettled([write('a'), refused, write('b')]);
    expect(a).toEqual({ status: 'fulfilled', value: 2 });
    expect(r?.status === 'rejected' && isSkiffError(r.reason, 'Conflict')).toBe(true);
    expect(b).toEqual({ status: 'fulfilled', value: 3 });
  });

  it('rolls back and fails the whole batch on a fault, acknowledging nothing', async () => {
    const { queue, calls, write, rows } = setup();
    const faulty = queue.enqueue(() => {
      throw new Error('disk on fire');
    });
    const results = await Promise.allSettled([write('a'), faulty, write('b')]);
    for (const r of results) {
      expect(r.status === 'rejected' && isSkiffError(r.reason, 'InternalError')).toBe(true);
    }
    expect(rows()).toEqual([]);
    expect(calls).toEqual(['rolled back']);
    // The queue goes on working after the fault, from the same revision.
    expect(await write('c')).toBe(2);
  });

  it('acknowledges a batch only after its sync, and batches the writes that arrive meanwhile', async () => {
    let release: () => void = () => {};
    let syncs = 0;
    const { queue, calls, write } = setup(() => {
      syncs++;
      return new Promise<void>((r) => {
        release = r;
      });
    });
    let acked = false;
    const first = write('a').then((rev) => {
      acked = true;
      return rev;
    });
    while (syncs === 0) await new Promise((r) => setImmediate(r));
    expect(queue.settled).toBeDefined();
    const later = [write('b'), write('c')];
    await new Promise((r) => setTimeout(r, 20));
    expect(acked).toBe(false);
    expect(calls).toEqual(['persist 2']);
    release();
    expect(await first).toBe(2);
    while (syncs === 1) await new Promise((r) => setImmediate(r));
    release();
    expect(await Promise.all(later)).toEqual([3, 4]);
    expect(queue.commits).toBe(2);
    expect(queue.settled).toBeUndefined();
  });

  it('fails the batch and every later write once a sync failed', async () => {
    const { queue, write } = setup(() => Promise.reject(new Error('EIO')));
    const [a] = await Promise.allSettled([write('a')]);
    expect(a?.status === 'rejected' && isSkiffError(a.reason, 'InternalError')).toBe(true);
    await expect(write('b')).rejects.toThrow(/sync failed/);
    expect(queue.commits).toBe(0);
  });
});
