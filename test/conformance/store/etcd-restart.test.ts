import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../core/store/open-store.ts';
import type { Store } from '../../../core/store/store.ts';
import { isSkiffError } from '../../../sdk/errors.ts';
import { type EtcdCluster, startEtcdCluster } from '../../harness/etcd.ts';
import { Collector } from './watch-collector.ts';

let cluster: EtcdCluster;
let store: Store | undefined;

beforeAll(async () => {
  cluster = await startEtcdCluster(1);
});
afterAll(async () => {
  await store?.close().catch(() => {});
  await cluster?.stop();
});

describe('etcd store when its only member stalls, dies and comes back', () => {
  it('answers Timeout within its deadline while the member is frozen, then works again', async () => {
    const s = openStore(cluster.storeSpec, { deadlineMs: 500, compaction: { intervalMs: 0 } });
    try {
      await s.create('/frozen/before', 'x');
      const member = cluster.members[0];
      if (!member) throw new Error('the cluster has no member');
      member.daemon.kill('SIGSTOP');
      let code: string;
      try {
        code = await s.create('/frozen/during', 'x').then(
          () => 'ok',
          (e: unknown) => (isSkiffError(e) ? e.code : String(e)),
        );
      } finally {
        member.daemon.kill('SIGCONT');
      }
      expect(code).toBe('Timeout');
      await s.create('/frozen/after', 'x');
      expect((await s.list('/frozen/')).items.map((i) => i.key)).toContain('/frozen/after');
    } finally {
      await s.close();
    }
  });

  it('resumes every watch where it stopped: nothing missed, nothing repeated', async () => {
    store = openStore(cluster.storeSpec, { deadlineMs: 2000, compaction: { intervalMs: 0 } });
    const s = store;
    const prefix = '/restart/';
    const from = (await s.currentRevision()) + 1;
    // One watcher shares the live feed, one replays from the start: both streams must resume.
    const live = new Collector();
    await s.watch(prefix, from, live);
    await s.create(`${prefix}first`, 'x');
    const replay = new Collector();
    await s.watch(prefix, from, replay);

    let seq = 0;
    let stopAt = Number.POSITIVE_INFINITY;
    let failures = 0;
    const writer = async () => {
      while (seq < stopAt) {
        const key = `${prefix}${String(seq++).padStart(6, '0')}`;
        try {
          await s.create(key, key);
        } catch (e) {
          if (!isSkiffError(e)) throw e;
          failures++;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    const writers = Array.from({ length: 8 }, writer);
    await live.until((e) => e.length >= 200);
    const member = cluster.members[0];
    if (!member) throw new Error('the cluster has no member');
    await cluster.restart(member);
    await live.until((e) => e.length >= 400, 30_000);
    stopAt = seq;
    await Promise.all(writers);

    const listed = await s.list(prefix);
    const want = listed.items.map((i) => i.modRevision).sort((a, b) => a - b);
    for (const collector of [live, replay]) {
      await collector.until((e) => e.length >= want.length, 30_000);
      await new Promise((r) => setTimeout(r, 100));
      expect(collector.error).toBeUndefined();
      expect(collector.events.map((e) => e.modRevision)).toEqual(want);
    }
    expect(failures).toBeGreaterThan(0);
  });
});
