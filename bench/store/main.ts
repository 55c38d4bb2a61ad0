// `npm run bench -- store`: the embedded store beside a one-member etcd, in one run. Prints a
// table of figures and ends with one summary line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../core/store/open-store.ts';
import type { Store, StoreEvent } from '../../core/store/store.ts';
import { startEtcdCluster } from '../../test/harness/etcd.ts';

interface Figures {
  sequential: number;
  inflight64: number;
  watchP50: number;
  watchP99: number;
  list10k: number;
  list10kPaged: number;
}

const value = 'x'.repeat(1024);
const now = () => performance.now();

async function writesPerSecond(store: Store, prefix: string, total: number, inFlight: number) {
  let next = 0;
  const t0 = now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        const i = next++;
        await store.create(`${prefix}${String(i).padStart(6, '0')}`, value);
      }
    }),
  );
  return total / ((now() - t0) / 1000);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

async function watchLatency(store: Store, prefix: string, watchers: number, writes: number) {
  const sentAt = new Map<string, number>();
  const samples: number[] = [];
  let pending = watchers * writes;
  let allDelivered: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allDelivered = resolve;
  });
  const from = (await store.currentRevision()) + 1;
  const handles = await Promise.all(
    Array.from({ length: watchers }, () =>
      store.watch(prefix, from, {
        onEvent(e: StoreEvent) {
          const t = sentAt.get(e.key);
          if (t !== undefined) samples.push(now() - t);
          if (--pending === 0) allDelivered();
        },
        onError(error) {
          throw error;
        },
      }),
    ),
  );
  // Writes go at a steady pace (8 in flight), as a busy cluster's would.
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < writes) {
        const key = `${prefix}${String(next++).padStart(6, '0')}`;
        sentAt.set(key, now());
        await store.create(key, value);
      }
    }),
  );
  await done;
  await Promise.all(handles.map((h) => h.close()));
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

async function listTime(store: Store, prefix: string, limit: number) {
  const times: number[] = [];
  for (let run = 0; run < 5; run++) {
    const t0 = now();
    let count = 0;
    let token: string | undefined;
    do {
      const page = await store.list(prefix, { limit, ...(token ? { continue: token } : {}) });
      count += page.items.length;
      token = page.continue;
    } while (token);
    times.push(now() - t0);
    if (count !== 10_000) throw new Error(`listed ${count} objects, expected 10000`);
  }
  times.sort((a, b) => a - b);
  return times[2] ?? Number.NaN;
}

async function measure(name: string, store: Store): Promise<Figures> {
  const tag = `/bench-${Date.now().toString(36)}`;
  process.stderr.write(`${name}: sequential writes\n`);
  const sequential = await writesPerSecond(store, `${tag}/seq/`, 1000, 1);
  process.stderr.write(`${name}: 64 writes in flight\n`);
  const inflight64 = await writesPerSecond(store, `${tag}/par/`, 10_000, 64);
  process.stderr.write(`${name}: watch latency, 100 watchers\n`);
  const watch = await watchLatency(store, `${tag}/watch/`, 100, 500);
  process.stderr.write(`${name}: listing 10,000 objects\n`);
  const list10k = await listTime(store, `${tag}/par/`, 0);
  const list10kPaged = await listTime(store, `${tag}/par/`, 500);
  return {
    sequential,
    inflight64,
    watchP50: watch.p50,
    watchP99: watch.p99,
    list10k,
    list10kPaged,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-store-'));
const etcd = await startEtcdCluster(1);
try {
  const sqlite = openStore(`sqlite:${join(dir, 'state.db')}`, { compaction: { intervalMs: 0 } });
  const embedded = await measure('embedded', sqlite);
  await sqlite.close();
  const remote = openStore(etcd.storeSpec, { compaction: { intervalMs: 0 } });
  const etcdFigures = await measure('etcd', remote);
  await remote.close();

  const rows: [string, (f: Figures) => number, string][] = [
    ['sequential durable writes/s (1 KB)', (f) => f.sequential, '%'],
    ['64-in-flight durable writes/s (1 KB)', (f) => f.inflight64, '%'],
    ['watch latency p50, 100 watchers (ms)', (f) => f.watchP50, 'ms'],
    ['watch latency p99, 100 watchers (ms)', (f) => f.watchP99, 'ms'],
    ['list 10,000 objects, one call (ms)', (f) => f.list10k, 'ms'],
    ['list 10,000 objects, pages of 500 (ms)', (f) => f.list10kPaged, 'ms'],
  ];
  const fmt = (n: number, unit: string) =>
    unit === 'ms' ? n.toFixed(1) : Math.round(n).toString();
  const out = [
    `${'figure'.padEnd(40)}${'embedded'.padStart(12)}${'etcd 3.4'.padStart(12)}${'ratio'.padStart(8)}`,
  ];
  for (const [label, pick, unit] of rows) {
    const a = pick(embedded);
    const b = pick(etcdFigures);
    out.push(
      `${label.padEnd(40)}${fmt(a, unit).padStart(12)}${fmt(b, unit).padStart(12)}${(a / b).toFixed(2).padStart(8)}`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  process.stdout.write(
    `summary: embedded ${Math.round(embedded.inflight64)} w/s @64 (target 5000: ${verdict(embedded.inflight64 >= 5000)}), ` +
      `${(embedded.inflight64 / etcdFigures.inflight64).toFixed(1)}x etcd ${Math.round(etcdFigures.inflight64)} w/s; ` +
      `sequential ${Math.round(embedded.sequential)} vs ${Math.round(etcdFigures.sequential)} w/s; ` +
      `watch p99 embedded ${embedded.watchP99.toFixed(1)} ms (target <50: ${verdict(embedded.watchP99 < 50)}), ` +
      `etcd ${etcdFigures.watchP99.toFixed(1)} ms (${verdict(etcdFigures.watchP99 < 50)}); ` +
      `list 10k ${embedded.list10k.toFixed(0)} / ${etcdFigures.list10k.toFixed(0)} ms\n`,
  );
} finally {
  await etcd.stop();
  rmSync(dir, { recursive: true, force: true });
}
