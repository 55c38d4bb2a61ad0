import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../core/store/store.ts';
import { type ErrorCode, isSkiffError } from '../../../sdk/errors.ts';
import { text, waitFor, watchInto } from './watch-collector.ts';

/** StoreFactory opens a fresh store for the suite and closes whatever it started. */
export interface StoreFactory {
  open(): Promise<Store>;
  teardown(): Promise<void>;
}

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (isSkiffError(e)) return e.code;
    throw e;
  }
}

/**
 * storeConformance runs the store contract (core/store/store.ts) against one backend. Every
 * test works under its own key prefix, so the suite also runs against a shared etcd.
 */
export function storeConformance(name: string, factory: StoreFactory): void {
  describe(`store conformance: ${name}`, () => {
    let store: Store;
    let n = 0;
    const fresh = () => `/conf-${Date.now().toString(36)}-${n++}/`;

    beforeAll(async () => {
      store = await factory.open();
    });
    afterAll(async () => {
      await store?.close();
      await factory.teardown();
    });

    it('create stores bytes and strings and tags them with a new revision', async () => {
      const p = fresh();
      const before = await store.currentRevision();
      const r1 = await store.create(`${p}a`, '{"kind":"Pod"}');
      const r2 = await store.create(`${p}b`, new Uint8Array([0, 1, 255]));
      expect(r1).toBeGreaterThan(before);
      expect(r2).toBeGreaterThan(r1);
      expect(await store.currentRevision()).toBeGreaterThanOrEqual(r2);
      const a = await store.get(`${p}a`);
      expect(a && { ...a, value: text(a.value) }).toEqual({
        key: `${p}a`,
        value: '{"kind":"Pod"}',
        createRevision: r1,
        modRevision: r1,
      });
      expect([...((await store.get(`${p}b`))?.value ?? [])]).toEqual([0, 1, 255]);
      expect(await store.get(`${p}missing`)).toBeUndefined();
    });

    it('create of a present key fails with AlreadyExists and changes nothing', async () => {
      const p = fresh();
      const r = await store.create(`${p}a`, 'one');
      const rev = await store.currentRevision();
      expect(await codeOf(store.create(`${p}a`, 'two'))).toBe('AlreadyExists');
      expect(text((await store.get(`${p}a`))?.value)).toBe('one');
      expect((await store.get(`${p}a`))?.modRevision).toBe(r);
      expect(await store.currentRevision()).toBe(rev);
    });

    it('update raises modRevision, keeps createRevision, and honours expectedModRevision', async () => {
      const p = fresh();
      const c = await store.create(`${p}a`, 'v1');
      const u = await store.update(`${p}a`, 'v2', { expectedModRevision: c });
      expect(u).toBeGreaterThan(c);
      expect(await store.get(`${p}a`)).toMatchObject({ createRevision: c, modRevision: u });
      const rev = await store.currentRevision();
      expect(await codeOf(store.update(`${p}a`, 'stale', { expectedModRevision: c }))).toBe(
        'Conflict',
      );
      expect(await codeOf(store.update(`${p}missing`, 'x'))).toBe('NotFound');
      expect(text((await store.get(`${p}a`))?.value)).toBe('v2');
      expect(await store.currentRevision()).toBe(rev);
      const u2 = await store.update(`${p}a`, 'v3');
      expect(u2).toBeGreaterThan(u);
    });

    it('delete returns the item, honours expectedModRevision, and refuses absent keys', async () => {
      const p = fresh();
      const c = await store.create(`${p}a`, 'v1');
      const u = await store.update(`${p}a`, 'v2');
      expect(await codeOf(store.delete(`${p}a`, { expectedModRevision: c }))).toBe('Conflict');
      expect(await store.get(`${p}a`)).toBeDefined();
      const gone = await store.delete(`${p}a`, { expectedModRevision: u });
      expect({ ...gone, value: text(gone.value) }).toEqual({
        key: `${p}a`,
        value: 'v2',
        createRevision: c,
        modRevision: u,
      });
      expect(await store.get(`${p}a`)).toBeUndefined();
      expect(await codeOf(store.delete(`${p}a`))).toBe('NotFound');
      // A key created again starts a new life with a new createRevision.
      const again = await store.create(`${p}a`, 'v3');
      expect((await store.get(`${p}a`))?.createRevision).toBe(again);
      expect(again).toBeGreaterThan(u);
    });

    it('list selects a prefix in key order, counts, and reads past revisions', async () => {
      const p = fresh();
      await store.create(`${p}b`, 'b');
      await store.create(`${p}a`, 'a');
      await store.create(`${p}c/x`, 'cx');
      await store.create(`${p.slice(0, -1)}-sibling`, 'outside');
      const before = await store.list(p);
      expect(before.items.map((i) => i.key)).toEqual([`${p}a`, `${p}b`, `${p}c/x`]);
      expect(before.continue).toBeUndefined();
      expect(await store.count(p)).toBe(3);
      await store.delete(`${p}a`);
      await store.update(`${p}b`, 'b2');
      await store.create(`${p}d`, 'd');
      const now = await store.list(p);
      expect(now.items.map((i) => [i.key, text(i.value)])).toEqual([
        [`${p}b`, 'b2'],
        [`${p}c/x`, 'cx'],
        [`${p}d`, 'd'],
      ]);
      expect(now.revision).toBeGreaterThan(before.revision);
      const past = await store.list(p, { revision: before.revision });
      expect(past.revision).toBe(before.revision);
      expect(past.items.map((i) => [i.key, text(i.value)])).toEqual([
        [`${p}a`, 'a'],
        [`${p}b`, 'b'],
        [`${p}c/x`, 'cx'],
      ]);
      expect(await store.count(p)).toBe(3);
    });

    it('pages with limit and continue stay at the first page’s revision', async () => {
      const p = fresh();
      for (let i = 0; i < 7; i++) await store.create(`${p}k${i}`, `v${i}`);
      const first = await store.list(p, { limit: 3 });
      expect(first.items.map((i) => i.key)).toEqual([`${p}k0`, `${p}k1`, `${p}k2`]);
      expect(first.remaining).toBe(4);
      expect(first.continue).toBeDefined();
      // Writes between pages must not show in later pages.
      await store.delete(`${p}k4`);
      await store.update(`${p}k5`, 'changed');
      await store.create(`${p}k9`, 'new');
      const second = await store.list(p, { limit: 3, continue: first.continue });
      expect(second.revision).toBe(first.revision);
      expect(second.items.map((i) => [i.key, text(i.value)])).toEqual([
        [`${p}k3`, 'v3'],
        [`${p}k4`, 'v4'],
        [`${p}k5`, 'v5'],
      ]);
      expect(second.remaining).toBe(1);
      const third = await store.list(p, { limit: 3, continue: second.continue });
      expect(third.items.map((i) => i.key)).toEqual([`${p}k6`]);
      expect(third.continue).toBeUndefined();
      expect(await codeOf(store.list(p, { continue: 'not-a-token' }))).toBe('BadRequest');
    });

    it('watch from a revision delivers every later event in order, inclusive', async () => {
      const p = fresh();
      const c = await store.create(`${p}a`, 'v1');
      const u = await store.update(`${p}a`, 'v2');
      const { collector, watch } = await watchInto(store, p, u);
      const d = await store.delete(`${p}a`);
      await store.create(`${p.slice(0, -1)}-other`, 'not watched');
      const c2 = await store.create(`${p}b`, 'b');
      await collector.until((e) => e.length >= 3);
      await watch.close();
      expect(
        collector.events.map((e) => [
          e.type,
          e.key,
          text(e.value),
          text(e.prevValue),
          e.modRevision,
        ]),
      ).toEqual([
        ['put', `${p}a`, 'v2', 'v1', u],
        ['delete', `${p}a`, '', 'v2', expect.any(Number)],
        ['put', `${p}b`, 'b', undefined, c2],
      ]);
      expect(collector.events[0]?.createRevision).toBe(c);
      expect(collector.events[1]?.modRevision).toBeGreaterThan(d.modRevision);
    });

    it('watchers started while writes stream see each event exactly once, in order', async () => {
      const p = fresh();
      const start = await store.currentRevision();
      const total = 300;
      const revs: number[] = [];
      let next = 0;
      const writer = async () => {
        while (next < total) {
          const i = next++;
          revs.push(await store.create(`${p}${String(i).padStart(4, '0')}`, `v${i}`));
        }
      };
      const writers = Array.from({ length: 16 }, writer);
      // Watchers join at different points of the stream: some replay from the revision they
      // join at, some follow only what comes after it (and may share one feed).
      const joined = [];
      for (let j = 0; j < 8; j++) {
        await new Promise((r) => setTimeout(r, 3 * j));
        const from = j === 0 ? start + 1 : (await store.currentRevision()) + (j % 2);
        joined.push({ from, ...(await watchInto(store, p, from)) });
      }
      await Promise.all(writers);
      revs.sort((a, b) => a - b);
      for (const { from, collector, watch } of joined) {
        const want = revs.filter((r) => r >= from);
        await collector.until((e) => e.length >= want.length);
        await new Promise((r) => setTimeout(r, 50));
        await watch.close();
        expect(collector.events.map((e) => e.modRevision)).toEqual(want);
      }
    });

    it('a closed watch delivers nothing more', async () => {
      const p = fresh();
      const { collector, watch } = await watchInto(store, p, (await store.currentRevision()) + 1);
      await store.create(`${p}a`, 'a');
      await collector.until((e) => e.length === 1);
      await watch.close();
      await store.create(`${p}b`, 'b');
      await new Promise((r) => setTimeout(r, 200));
      expect(collector.events).toHaveLength(1);
    });

    it('compaction makes older reads and watches Expired and keeps newer ones', async () => {
      const p = fresh();
      const r1 = await store.create(`${p}a`, 'a1');
      const r2 = await store.update(`${p}a`, 'a2');
      await store.create(`${p}b`, 'b1');
      await store.delete(`${p}b`);
      const r3 = await store.create(`${p}c`, 'c1');
      await store.compact(r2);
      expect(await codeOf(store.watch(p, r1, { onEvent() {}, onError() {} }))).toBe('Expired');
      expect(await codeOf(store.list(p, { revision: r1 }))).toBe('Expired');
      const atR2 = await store.list(p, { revision: r2 });
      expect(atR2.items.map((i) => [i.key, text(i.value)])).toEqual([[`${p}a`, 'a2']]);
      const { collector, watch } = await watchInto(store, p, r2);
      await collector.until((e) => e.some((x) => x.modRevision === r3));
      await watch.close();
      expect(collector.events.map((e) => [e.type, e.key])).toEqual([
        ['put', `${p}a`],
        ['put', `${p}b`],
        ['delete', `${p}b`],
        ['put', `${p}c`],
      ]);
      expect(await codeOf(store.compact(r1))).toBe('Expired');
    });

    it('keys with a time to live are deleted, and watchers see the delete', async () => {
      const p = fresh();
      const { collector, watch } = await watchInto(store, p, (await store.currentRevision()) + 1);
      await store.create(`${p}event`, 'short-lived', { ttlSeconds: 1 });
      await store.create(`${p}keep`, 'stays');
      await waitFor('the TTL key to expire', async () => !(await store.get(`${p}event`)));
      await collector.until((e) => e.some((x) => x.type === 'delete'));
      await watch.close();
      expect(collector.events.map((e) => [e.type, e.key])).toEqual([
        ['put', `${p}event`],
        ['put', `${p}keep`],
        ['delete', `${p}event`],
      ]);
      expect(await store.get(`${p}keep`)).toBeDefined();
    });

    it('refuses keys and values it cannot hold with a typed error, writing nothing', async () => {
      const p = fresh();
      const rev = await store.currentRevision();
      // Each call starts only when its turn comes, so no refusal goes unobserved.
      const cases: [() => Promise<unknown>, ErrorCode][] = [
        [() => store.create('no-slash', 'x'), 'BadRequest'],
        [() => store.create(`${p}with space`, 'x'), 'BadRequest'],
        [() => store.create(`${p}${'k'.repeat(2000)}`, 'x'), 'BadRequest'],
        [() => store.create(`${p}big`, 'x'.repeat(1_600_000)), 'RequestEntityTooLarge'],
        [() => store.create(`${p}ttl`, 'x', { ttlSeconds: -1 }), 'BadRequest'],
        [() => store.update(`${p}a`, 'x', { expectedModRevision: 0 }), 'BadRequest'],
        [() => store.list(p, { limit: -1 }), 'BadRequest'],
        [() => store.watch('bad prefix', 1, { onEvent() {}, onError() {} }), 'BadRequest'],
        [() => store.list(p, { revision: rev + 1000 }), 'BadRequest'],
        [() => store.compact(rev + 1000), 'BadRequest'],
      ];
      for (const [call, want] of cases) expect(await codeOf(call())).toBe(want);
      expect(await store.count(p)).toBe(0);
      expect(await store.currentRevision()).toBe(rev);
    });

    it('many concurrent writers get distinct revisions and lose nothing', async () => {
      const p = fresh();
      const revs = await Promise.all(
        Array.from({ length: 500 }, (_, i) => store.create(`${p}${i}`, `v${i}`)),
      );
      expect(new Set(revs).size).toBe(500);
      expect(await store.count(p)).toBe(500);
      const listed = await store.list(p);
      expect(listed.items).toHaveLength(500);
      expect(Math.max(...listed.items.map((i) => i.modRevision))).toBe(Math.max(...revs));
    });

    // Last, as it closes the suite's store.
    it('close ends open watches with ServiceUnavailable and refuses later calls', async () => {
      const p = fresh();
      const { collector } = await watchInto(store, p, (await store.currentRevision()) + 1);
      await store.close();
      await waitFor('the watch to end', async () => collector.error !== undefined);
      expect(isSkiffError(collector.error, 'ServiceUnavailable')).toBe(true);
      expect(await codeOf(store.create(`${p}late`, 'x'))).toBe('ServiceUnavailable');
      await store.close();
    });
  });
}
