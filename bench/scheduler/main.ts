// `npm run bench -- scheduler [--pods N] [--nodes 1000,5000] [--only memory|api]`: 10,000 pods
// through the scheduling framework with the default profile onto in-memory nodes, then the same
// through a real control plane (skiff server, skiff scheduler and skiff sim as their own
// processes). Prints pods/s, latency and memory per node count, then one summary line.
import { clusterBinder } from '../../core/scheduler/cluster.ts';
import { defaultProfile } from '../../core/scheduler/default-profile.ts';
import { MemoryCluster } from '../../core/scheduler/memory-cluster.ts';
import { Scheduler } from '../../core/scheduler/scheduler.ts';
import { makeNode, makePod } from '../../plugins/scheduler-default/fixtures.ts';
import { defaultPlugins } from '../../plugins/scheduler-default/plugins.ts';
import type { AnySchedulerPlugin } from '../../sdk/scheduler.ts';
import { type ApiFigures, runThroughApi } from './through-api.ts';

const target = 1000;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

interface Figures {
  nodes: number;
  pods: number;
  scheduled: number;
  podsPerSecond: number;
  p50: number;
  p99: number;
  rssMiB: number;
}

async function run(nodeCount: number, podCount: number): Promise<Figures> {
  const cluster = new MemoryCluster();
  const binder = clusterBinder(cluster);
  const plugins = new Map<string, AnySchedulerPlugin>(
    defaultPlugins(() => binder).map((p) => [p.name, p]),
  );
  const latencies: number[] = [];
  const scheduler = new Scheduler({
    cluster,
    plugins,
    profiles: [defaultProfile()],
    onAttempt: (outcome, ms) => {
      if (outcome === 'scheduled') latencies.push(ms);
    },
  });
  for (let i = 0; i < nodeCount; i++) {
    cluster.putNode(
      makeNode(`node-${i}`, { cpu: '32', memory: '128Gi', labels: { zone: `zone-${i % 3}` } }),
    );
  }
  // A tenth of the pods ask for a zone, as placement constraints usually come mixed in.
  for (let i = 0; i < podCount; i++) {
    cluster.putPod(
      makePod(`pod-${i}`, {
        cpu: '100m',
        memory: '128Mi',
        labels: { app: `app-${i % 50}` },
        nodeSelector: i % 10 === 0 ? { zone: `zone-${i % 3}` } : undefined,
      }),
    );
  }
  const t0 = performance.now();
  scheduler.start();
  await scheduler.idle();
  const seconds = (performance.now() - t0) / 1000;
  await scheduler.stop();
  latencies.sort((a, b) => a - b);
  return {
    nodes: nodeCount,
    pods: podCount,
    scheduled: cluster.bindings,
    podsPerSecond: cluster.bindings / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    rssMiB: process.memoryUsage().rss / 2 ** 20,
  };
}

const pods = Number(arg('pods', '10000'));
const nodeCounts = arg('nodes', '1000,5000').split(',').map(Number);
const only = arg('only', 'all');
const results: Figures[] = [];
if (only !== 'api') {
  process.stdout.write('in-memory framework (this process):\n');
  for (const n of nodeCounts) {
    const f = await run(n, pods);
    results.push(f);
    process.stdout.write(
      `${String(f.nodes).padStart(5)} nodes  ${f.scheduled}/${f.pods} pods  ${f.podsPerSecond.toFixed(0)} pods/s  attempt p50 ${f.p50.toFixed(2)} ms  p99 ${f.p99.toFixed(2)} ms  rss ${f.rssMiB.toFixed(0)} MiB\n`,
    );
  }
}
const api: ApiFigures[] = [];
if (only !== 'memory') {
  process.stdout.write(
    'through the API server (skiff server, skiff scheduler, skiff sim as processes; create -> bound seen by a watch):\n',
  );
  for (const n of nodeCounts) {
    const f = await runThroughApi(n, pods);
    api.push(f);
    process.stdout.write(
      `${String(f.nodes).padStart(5)} nodes  ${f.scheduled}/${f.pods} pods  ${f.podsPerSecond.toFixed(0)} pods/s (creates ${f.createsPerSecond.toFixed(0)}/s)  create->bound p50 ${f.p50.toFixed(0)} ms  p99 ${f.p99.toFixed(0)} ms  peak rss server ${f.serverRssMiB.toFixed(0)} MiB scheduler ${f.schedulerRssMiB.toFixed(0)} MiB  (nodes joined in ${f.joinSeconds.toFixed(0)} s)\n`,
    );
  }
}
const judged = api.length > 0 ? api : results;
const largest = judged.at(-1);
const ok = largest !== undefined && largest.podsPerSecond >= target && largest.scheduled === pods;
const memory = results.map(
  (f) => `${f.nodes} nodes ${f.podsPerSecond.toFixed(0)} pods/s p99 ${f.p99.toFixed(1)} ms`,
);
const through = api.map(
  (f) =>
    `${f.nodes} nodes ${f.podsPerSecond.toFixed(0)} pods/s p99 ${f.p99.toFixed(0)} ms rss ${f.serverRssMiB.toFixed(0)}+${f.schedulerRssMiB.toFixed(0)} MiB`,
);
process.stdout.write(
  `scheduler: ${[
    memory.length > 0 ? `in-memory ${memory.join(', ')}` : '',
    through.length > 0 ? `through API ${through.join(', ')}` : '',
  ]
    .filter((x) => x !== '')
    .join(
      '; ',
    )}; target >= ${target} pods/s at ${largest?.nodes} nodes${api.length > 0 ? ' through the API' : ''}: ${ok ? 'met' : 'NOT met'}\n`,
);
