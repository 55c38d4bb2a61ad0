// `npm run bench -- e2e`: a bare Pod from create to Running as a watch sees it, through the
// whole cluster (server, scheduler, agent, Docker adapter, each its own process), beside
// `docker run -d` of the same image and command on the same dockerd in the same run. Pods run
// one at a time; each is deleted (untimed) before the next. Prints p50/p99 of both sides,
// their ratio and where a pod's time goes, and ends with one summary line.
import type { Pod } from '../../sdk/api/core/pod.ts';
import type { WatchEvent } from '../../sdk/client/watch-stream.ts';
import { type BenchCluster, startBenchCluster } from './cluster.ts';

const runs = Number(process.env.BENCH_RUNS ?? 50);
const warmup = 3;
const image = 'skiff.local/busybox:1';
const command = ['sleep', '3600'];
const namespace = 'default';
const pods = { group: '', version: 'v1', plural: 'pods', namespace };

type P = Pod & { metadata: NonNullable<Pod['metadata']> };

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}
const pq = (xs: number[], q: number) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    q,
  );
const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(1)} ms` : 'n/a');

const running = (p: P) =>
  p.status?.phase === 'Running' &&
  (p.status.containerStatuses ?? []).some((c) => c.name === 'main' && c.state?.running);

/** Milestones are wall-clock times (ms since the epoch) at which the bench saw each step. */
interface Milestones {
  created: number;
  scheduled?: number;
  running?: number;
}

/**
 * PodWatch keeps one watch on the namespace open for the whole run and notes, per pod name,
 * when it first saw the pod bound to a node, Running with its container running, and gone.
 */
class PodWatch {
  readonly seen = new Map<string, Milestones>();
  readonly #waiters = new Map<string, { until: (p: P | undefined) => boolean; done: () => void }>();
  readonly #abort = new AbortController();
  #failure: unknown;

  constructor(cluster: BenchCluster, resourceVersion: string) {
    const loop = async () => {
      for await (const ev of cluster.client.watch<P>(pods, {
        resourceVersion,
        signal: this.#abort.signal,
      })) {
        this.#note(ev);
      }
    };
    loop().catch((err) => {
      if (this.#abort.signal.aborted) return;
      this.#failure = err;
      for (const w of this.#waiters.values()) w.done();
    });
  }

  #note(ev: WatchEvent<P>): void {
    const now = Date.now();
    const name = ev.object.metadata.name ?? '';
    const m = this.seen.get(name);
    if (m) {
      if (m.scheduled === undefined && ev.object.spec?.nodeName) m.scheduled = now;
      if (m.running === undefined && running(ev.object)) m.running = now;
    }
    const w = this.#waiters.get(name);
    if (w?.until(ev.type === 'DELETED' ? undefined : ev.object)) {
      this.#waiters.delete(name);
      w.done();
    }
  }

  /** until resolves once an event for the pod satisfies the test (undefined: deleted). */
  until(name: string, test: (p: P | undefined) => boolean, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(name);
        reject(new Error(`pod ${name} not ${what} after 60 s`));
      }, 60_000);
      this.#waiters.set(name, {
        until: test,
        done: () => {
          clearTimeout(timer);
          if (this.#failure) reject(new Error(`the watch failed: ${String(this.#failure)}`));
          else resolve();
        },
      });
    });
  }

  close(): void {
    this.#abort.abort();
  }
}

/** Breakdown is one pod's steps in ms, each from the previous one. */
interface Breakdown {
  total: number;
  scheduled: number;
  sandbox: number;
  sandboxUp: number;
  created: number;
  container: number;
  reported: number;
}

const nsToMs = (ns: string | number | undefined) => Number(BigInt(ns ?? 0) / 1_000_000n);

// The server refuses a delete without preconditions with Conflict when the agent wrote the
// pod's status between the server's read and its write; ask again, as a client would.
async function deleteRetrying(cluster: BenchCluster, name: string): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      await cluster.client.delete(pods, name);
      return;
    } catch (err) {
      if (tries >= 10 || (err as { code?: string }).code !== 'Conflict') throw err;
    }
  }
}

async function podRun(cluster: BenchCluster, watch: PodWatch, i: number): Promise<Breakdown> {
  const name = `bench-${i < 0 ? `warm${-i}` : i}`;
  const up = watch.until(name, (p) => p !== undefined && running(p), 'Running');
  const t0 = performance.now();
  const m: Milestones = { created: Date.now() };
  watch.seen.set(name, m);
  await cluster.client.create(pods, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: {
      // busybox sleep as PID 1 ignores SIGTERM: a short grace keeps the (untimed) delete short.
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image, command, imagePullPolicy: 'IfNotPresent' }],
    },
  } as P);
  await up;
  const total = performance.now() - t0;
  // Where the time went, from the runtime's own clocks (ns) and what the watch saw.
  const pod = await cluster.client.get<P>(pods, name);
  const uid = pod.metadata.uid ?? '';
  const { items } = await cluster.cri.listPodSandbox({
    filter: { labelSelector: { 'io.kubernetes.pod.uid': uid } },
  });
  const { containers } = await cluster.cri.listContainers({
    filter: { labelSelector: { 'io.kubernetes.pod.uid': uid } },
  });
  const sandboxAt = nsToMs(items[0]?.createdAt);
  const status = containers[0]
    ? (await cluster.cri.containerStatus({ containerId: containers[0].id })).status
    : undefined;
  // The Docker adapter's sandbox is its pause container: Docker knows when that started.
  const sandboxUpAt = items[0]
    ? Date.parse((await cluster.dockerd.docker.getContainer(items[0].id).inspect()).State.StartedAt)
    : Number.NaN;
  const createdAt = nsToMs(status?.createdAt);
  const startedAt = nsToMs(status?.startedAt);
  const scheduled = (m.scheduled ?? Number.NaN) - m.created;
  const sandbox = sandboxAt - (m.scheduled ?? Number.NaN);
  const sandboxUp = sandboxUpAt - sandboxAt;
  const created = createdAt - sandboxUpAt;
  const container = startedAt - createdAt;
  const reported = (m.running ?? Number.NaN) - startedAt;
  const gone = watch.until(name, (p) => p === undefined, 'deleted');
  await deleteRetrying(cluster, name);
  await gone;
  return { total, scheduled, sandbox, sandboxUp, created, container, reported };
}

async function dockerRun(cluster: BenchCluster): Promise<number> {
  const t0 = performance.now();
  // `docker run -d`: create, start; then inspect until Docker says it runs.
  const c = await cluster.dockerd.docker.createContainer({
    Image: image,
    Cmd: command,
    HostConfig: { NetworkMode: cluster.network },
  });
  await c.start();
  while (!(await c.inspect()).State.Running) await new Promise((r) => setTimeout(r, 5));
  const elapsed = performance.now() - t0;
  await c.remove({ force: true });
  return elapsed;
}

async function main(): Promise<void> {
  const cluster = await startBenchCluster(['skiff.local/pause:1', image]);
  let watch: PodWatch | undefined;
  try {
    const list = await cluster.client.list<P>(pods);
    watch = new PodWatch(cluster, list.metadata?.resourceVersion ?? '0');
    // The first pod also makes the pod network `docker run` joins.
    for (let i = 1; i <= warmup; i++) {
      await podRun(cluster, watch, -i);
      await dockerRun(cluster);
    }
    const pod: Breakdown[] = [];
    const docker: number[] = [];
    // Interleaved, so drift in the machine's load falls on both sides alike.
    for (let i = 0; i < runs; i++) {
      pod.push(await podRun(cluster, watch, i));
      docker.push(await dockerRun(cluster));
    }
    const col = (k: keyof Breakdown) => pod.map((b) => b[k]);
    const p50 = pq(col('total'), 0.5);
    const p99 = pq(col('total'), 0.99);
    const d50 = pq(docker, 0.5);
    const d99 = pq(docker, 0.99);
    const row = (what: string, xs: number[]) =>
      `${what.padEnd(44)} ${ms(pq(xs, 0.5)).padStart(10)} ${ms(pq(xs, 0.99)).padStart(10)}`;
    const ratio = p50 / d50;
    process.stdout.write(
      [
        `${runs} pods one at a time (after ${warmup} warm-up), image ${image} ${command.join(' ')}, one node, private dockerd`,
        `${'measure'.padEnd(44)} ${'p50'.padStart(10)} ${'p99'.padStart(10)}`,
        row('pod create -> Running seen by a watch', col('total')),
        row('  create -> bound to the node (watch)', col('scheduled')),
        row('  bound -> sandbox created (runtime clock)', col('sandbox')),
        row('  sandbox created -> pause started (docker)', col('sandboxUp')),
        row('  pause started -> container created', col('created')),
        row('  container created -> started (runtime)', col('container')),
        row('  started -> Running seen by the watch', col('reported')),
        row('docker run -d until inspect says running', docker),
        `summary: e2e pod p50 ${ms(p50)} p99 ${ms(p99)} (target p50 <= 500 ms: ${p50 <= 500 ? 'met' : 'MISSED'}), docker run -d p50 ${ms(d50)} p99 ${ms(d99)}, ratio p50 ${ratio.toFixed(2)} p99 ${(p99 / d99).toFixed(2)} (target <= 1.5: ${ratio <= 1.5 ? 'met' : 'MISSED'})`,
        '',
      ].join('\n'),
    );
  } catch (err) {
    process.stderr.write(`agent log (last lines):\n${cluster.agent().log().slice(-3000)}\n`);
    throw err;
  } finally {
    watch?.close();
    await cluster.stop();
  }
}

await main();
