// A child process for the kill -9 test: writes to an embedded store as fast as it can, with
// 64 writes in flight, and prints `ack KEY REVISION` for each write once it is acknowledged.
// The parent kills it with SIGKILL mid-stream and checks what is on disk.
import { SqliteStore } from '../../../core/store/sqlite-store.ts';
import { crashValue } from './crash-value.ts';

const path = process.argv[2];
if (!path) throw new Error('usage: crash-writer.ts DB_PATH [FIRST_INDEX]');
const store = new SqliteStore(path, { compaction: { intervalMs: 0 } });

let i = Number(process.argv[3] ?? 0);
async function writer(): Promise<void> {
  for (;;) {
    const n = i++;
    const key = `/crash/${String(n).padStart(8, '0')}`;
    const rev = await store.create(key, crashValue(n));
    // Every tenth write also rewrites one shared key, so the store holds updates too.
    if (n % 10 === 0) {
      const cur = await store.get('/crash-counter');
      if (cur)
        await store
          .update('/crash-counter', String(n), { expectedModRevision: cur.modRevision })
          .catch(() => {});
      else await store.create('/crash-counter', String(n)).catch(() => {});
    }
    process.stdout.write(`ack ${key} ${rev}\n`);
  }
}
await Promise.all(Array.from({ length: 64 }, writer));
