import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../core/store/open-store.ts';
import type { Store } from '../../../core/store/store.ts';
import { isSkiffError } from '../../../sdk/errors.ts';
import { type EtcdCluster, type EtcdMember, startEtcdCluster } from '../../harness/etcd.ts';
import { Collector, text } from './watch-collector.ts';

let cluster: EtcdCluster;
const stores: Store[] = [];

beforeAll(async () => {
  cluster = await startEtcdCluster(3);
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close().catch(() => {})));
  await cluster?.stop();
});

/** leaderOf asks each member's HTTP gateway who leads; etcd 3.4 serves /v3/maintenance/status. */
async function leaderOf(members: EtcdMember[]): Promise<EtcdMember> {
  const status = await Promise.all(
    members.map(async (m) => {
      const res = await fetch(`${m.clientUrl}/v3/maintenance/status`, {
        method: 'POST',
        body: '{}',
      });
      const body = (await res.json()) as { header: { member_id: string }; leader: string };
      return { member: m, id: body.header.member_id, leader: body.leader };
    }),
  );
  const leader = status.find((s) => s.id === s.leader);
  if (!leader) throw new Error(`no member reports itself leader: ${JSON.stringify(status)}`);
  return leader.member;
}

describe('etcd store on a three-member cluster', () => {
  it('loses no acknowledged write and no watch event when the leader is killed mid-stream', async () => {
    const open = () => {
      const s = openStore(cluster.storeSpec, { deadlineMs: 3000, compaction: { intervalMs: 0 } });
      stores.push(s);
      return s;
    };
    const store = open();
    const prefix = '/kill/';
    const from = (await store.currentRevision()) + 1;
    // Separate clients, each with its own watch stream on a member it picks at random.
    const watchers = await Promise.all(
      [open(), open(), open()].map(async (s) => {
        const collector = new Collector();
        await s.watch(prefix, from, collector);
        return collector;
      }),
    );

    const acked = new Map<string, number>();
    const refused: string[] = [];
    let seq = 0;
    let killedAt = -1;
    const writer = async () => {
      while (killedAt < 0 || acked.size < killedAt + 300) {
        const key = `${prefix}${String(seq++).padStart(6, '0')}`;
        try {
          acked.set(key, await store.create(key, `value of ${key}`));
        } catch (e) {
          // An unacknowledged write may or may not have happened; only typed errors expected.
          if (!isSkiffError(e)) throw e;
          refused.push(`${e.code}: ${e.message.slice(0, 150)}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const writers = Array.from({ length: 16 }, writer);
    while (acked.size < 300) await new Promise((r) => setTimeout(r, 20));
    const leader = await leaderOf(cluster.members);
    leader.daemon.kill('SIGKILL');
    killedAt = acked.size;
    await Promise.all(writers);

    const survivors = cluster.members.filter((m) => m !== leader);
    const check = openStore(`etcd:${survivors.map((m) => m.clientUrl).join(',')}`, {
      compaction: { intervalMs: 0 },
    });
    stores.push(check);
    const listed = await check.list(prefix);
    const byKey = new Map(listed.items.map((i) => [i.key, i]));
    const lost = [...acked.keys()].filter((k) => !byKey.has(k));
    expect(lost).toEqual([]);
    for (const [key, rev] of acked) {
      expect(byKey.get(key)?.modRevision).toBe(rev);
      expect(text(byKey.get(key)?.value)).toBe(`value of ${key}`);
    }
    // Every watcher sees exactly what is stored under the prefix, once each, in order.
    for (const collector of watchers) {
      await collector.until((e) => e.length >= listed.items.length, 30_000);
      const revs = collector.events.map((e) => e.modRevision);
      expect(revs).toEqual([...revs].sort((a, b) => a - b));
      expect(collector.events.map((e) => e.key).sort()).toEqual(listed.items.map((i) => i.key));
    }
    expect(acked.size).toBeGreaterThanOrEqual(600);
    if (refused.length > 0)
      process.stderr.write(
        `writes refused around the kill: ${refused.length}: ${[...new Set(refused)].slice(0, 5).join(' | ')}\n`,
      );
  });
});
