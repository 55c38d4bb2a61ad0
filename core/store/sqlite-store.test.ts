import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSkiffError } from '../../sdk/errors.ts';
import { SqliteStore } from './sqlite-store.ts';

const text = (item: { value: Uint8Array } | undefined) =>
  item && Buffer.from(item.value).toString();

const dirs: string[] = [];
const stores: SqliteStore[] = [];
function open(options: ConstructorParameters<typeof SqliteStore>[1] = {}, dir?: string) {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'skiff-sqlite-unit-'));
  if (!dir) dirs.push(d);
  const store = new SqliteStore(join(d, 'state.db'), options);
  stores.push(store);
  return { store, dir: d };
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SqliteStore', () => {
  it('commits concurrent writes in groups, not one transaction per write', async () => {
    const { store } = open();
    const before = store.commitCount;
    await Promise.all(Array.from({ length: 640 }, (_, i) => store.create(`/g/${i}`, 'v')));
    expect(await store.count('/g/')).toBe(640);
    expect(store.commitCount - before).toBeLessThanOrEqual(10);
  });

  it('acknowledges a refused write in a batch without failing its neighbours', async () => {
    const { store } = open();
    await store.create('/dup', 'first');
    const results = await Promise.allSettled([
      store.create('/a', 'a'),
      store.create('/dup', 'again'),
      store.create('/b', 'b'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const refused = results[1];
    expect(refused?.status === 'rejected' && isSkiffError(refused.reason, 'AlreadyExists')).toBe(
      true,
    );
    const revs = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value as number] : []));
    expect(revs[1]).toBe((revs[0] ?? 0) + 1);
  });

  it('compacts on its own every interval, up to the revision the previous run saw', async () => {
    const { store } = open({ compaction: { intervalMs: 50 } });
    const first = await store.create('/c/a', '1');
    await store.update('/c/a', '2');
    let code = 'ok';
    for (let i = 0; i < 500 && code === 'ok'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      code = await store.list('/c/', { revision: first }).then(
        () => 'ok',
        (e: unknown) => (isSkiffError(e) ? e.code : String(e)),
      );
    }
    expect(code).toBe('Expired');
    expect((await store.list('/c/')).items).toHaveLength(1);
  });

  it('creates the directories of a new store file', async () => {
    const { dir } = open();
    const nested = new SqliteStore(join(dir, 'a', 'b', 'state.db'));
    stores.push(nested);
    expect(await nested.create('/x', 'y')).toBe(2);
  });

  it('keeps its revision, history and compaction across a reopen', async () => {
    const { store, dir } = open();
    const r1 = await store.create('/k', '1');
    const r2 = await store.update('/k', '2');
    await store.compact(r2);
    await store.close();
    const again = open({}, dir).store;
    expect(await again.currentRevision()).toBe(r2);
    expect(await again.list('/', { revision: r1 }).catch((e: unknown) => e)).toSatisfy((e) =>
      isSkiffError(e, 'Expired'),
    );
    expect(await again.create('/k2', 'x')).toBe(r2 + 1);
  });

  it('refuses a second opener of the same file while the first holds it', async () => {
    const { store, dir } = open();
    await store.create('/lock', 'held');
    let error: unknown;
    try {
      stores.push(new SqliteStore(join(dir, 'state.db'), { lockWaitMs: 100 }));
    } catch (e) {
      error = e;
    }
    expect(isSkiffError(error, 'ServiceUnavailable')).toBe(true);
    expect(String(error)).toMatch(/held by another open store/);
    expect(text(await store.get('/lock'))).toBe('held');
  });
});
