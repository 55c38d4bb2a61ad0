import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../core/store/sqlite-store.ts';
import { crashValue, crashValueIntact } from './crash-value.ts';
import { Collector } from './watch-collector.ts';

const here = dirname(fileURLToPath(import.meta.url));
const tsxLoader = createRequire(import.meta.url).resolve('tsx');
const dir = mkdtempSync(join(tmpdir(), 'skiff-store-crash-'));
let child: ChildProcess | undefined;

afterAll(() => {
  if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** writeUntilKilled runs the crash writer and SIGKILLs it after `acks` acknowledged writes. */
async function writeUntilKilled(
  db: string,
  first: number,
  acks: number,
): Promise<Map<string, number>> {
  const proc = spawn(
    process.execPath,
    ['--import', tsxLoader, join(here, 'crash-writer.ts'), db, String(first)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child = proc;
  let stderr = '';
  proc.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    proc.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const acked = new Map<string, number>();
  for await (const line of createInterface({ input: proc.stdout as NodeJS.ReadableStream })) {
    const [word, key, rev] = line.split(' ');
    if (word === 'ack' && key && rev) acked.set(key, Number(rev));
    if (acked.size === acks) proc.kill('SIGKILL');
  }
  const how = await exited;
  if (how !== 'SIGKILL') {
    throw new Error(`the crash writer ended with ${String(how)} before it was killed: ${stderr}`);
  }
  return acked;
}

describe('embedded store under kill -9', () => {
  it('keeps every acknowledged write and nothing half-written, across two crashes', async () => {
    const db = join(dir, 'state.db');
    const acked = await writeUntilKilled(db, 0, 1500);
    // A second run appends to the same file after recovery, then dies the same way.
    for (const [k, v] of await writeUntilKilled(db, 1_000_000, 1000)) acked.set(k, v);
    expect(acked.size).toBeGreaterThanOrEqual(2000);

    const raw = new Database(db, { readonly: true });
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();

    const store = new SqliteStore(db, { compaction: { intervalMs: 0 } });
    try {
      const listed = await store.list('/crash/');
      const byKey = new Map(listed.items.map((i) => [i.key, i]));
      const missing = [...acked.keys()].filter((k) => !byKey.has(k));
      expect(missing).toEqual([]);
      for (const [key, rev] of acked) {
        const item = byKey.get(key);
        expect(item?.modRevision).toBe(rev);
        expect(Buffer.from(item?.value ?? []).toString()).toBe(crashValue(Number(key.slice(7))));
      }
      // Writes not yet acknowledged at the kill may be there, but only whole.
      for (const item of listed.items) {
        expect(crashValueIntact(Buffer.from(item.value).toString())).toBe(true);
      }
      const revision = await store.currentRevision();
      expect(revision).toBeGreaterThanOrEqual(Math.max(...acked.values()));
      // The history agrees with the current state: replaying it yields the same keys.
      const collector = new Collector();
      const watch = await store.watch('/crash/', 1, collector);
      await collector.until((e) => e.length >= listed.items.length);
      await watch.close();
      expect(collector.events.map((e) => e.key).sort()).toEqual(listed.items.map((i) => i.key));
      // The store goes on writing after recovery with the next revision.
      expect(await store.create('/crash-after', 'x')).toBe(revision + 1);
    } finally {
      await store.close();
    }
  });
});
