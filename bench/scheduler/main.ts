// `npm run bench -- scheduler [--pods N] [--nodes 1000,5000] [--only memory|api]
// [--kubelets sim,none]`: 10,000 pods through the scheduling framework with the default profile
// onto in-memory nodes, then the same through a real control plane (skiff server and skiff
// scheduler as their own processes), once with `skiff sim` kubelets behind the nodes and once
// with bare Node objects as Kubernetes' scheduler_perf registers them. Prints pods/s, latency and
// memory per node count, then one summary line.
import { clusterBinder } from '../../core/scheduler/cluster.ts';
import { defaultProfile } from '../../core/scheduler/default-profile.ts';
import { MemoryCluster } from '../../core/scheduler/memory-cluster.ts';
import { Scheduler } from '../../core/scheduler/scheduler.ts';
import { makeNode, makePod } from '../../plugins/scheduler-default/fixtures.ts';
import { defaultPlugins } from '../../plugins/scheduler-default/plugins.ts';
import type { AnySchedulerPlugin } from '../../sdk/scheduler.ts';
import { type ApiFigures, type Kubelets, runThroughApi } from './through-api.ts';

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
const kubeletModes = arg('kubelets', 'sim,none').split(',') as Kubelets[];
for (const k of kubeletModes) {
  if (k !== 'sim' && k !== 'none') throw new Error(`--kubelets ${k}: use sim, none or both`);
}
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
const kubeletLabel: Record<Kubelets, string> = {
  sim: 'skiff sim kubelets (node Leases, pods reported Running)',
  none: 'bare Node objects, no kubelets (as scheduler_perf)',
};
if (only !== 'memory') {
  for (const k of kubeletModes) {
    process.stdout.write(
      `through the API server (skiff server and skiff scheduler as processes; create -> bound seen by a watch), ${kubeletLabel[k]}:\n`,
    );
    for (const n of nodeCounts) {
      const f = await runThroughApi(n, pods, k);
      api.push(f);
      process.stdout.write(
        `${String(f.nodes).padStart(5)} nodes  ${f.scheduled}/${f.pods} pods  ${f.podsPerSecond.toFixed(0)} pods/s (creates ${f.createsPerSecond.toFixed(0)}/s)  create->bound p50 ${f.p50.toFixed(0)} ms  p99 ${f.p99.toFixed(0)} ms  peak rss server ${f.serverRssMiB.toFixed(0)} MiB scheduler ${f.schedulerRssMiB.toFixed(0)} MiB  (nodes registered in ${f.joinSeconds.toFixed(0)} s)  CPU ms/pod server ${f.serverCpuMsPerPod.toFixed(2)} scheduler ${f.schedulerCpuMsPerPod.toFixed(2)}${k === 'sim' ? ` sim ${f.simCpuMsPerPod.toFixed(2)}` : ''}  load ${f.loadAverage.toFixed(1)}\n`,
      );
    }
  }
}
// Judged on the full control plane with kubelets when it ran, as before the bare-node mode.
const withSim = api.filter((f) => f.kubelets === 'sim');
const judged = withSim.length > 0 ? withSim : api.length > 0 ? api : results;
const largest = judged.at(-1);
const ok = largest !== undefined && largest.podsPerSecond >= target && largest.scheduled === pods;
const memory = results.map(
  (f) => `${f.nodes} nodes ${f.podsPerSecond.toFixed(0)} pods/s p99 ${f.p99.toFixed(1)} ms`,
);
const through = api.map(
  (f) =>
    `${f.kubelets === 'none' ? 'bare ' : ''}${f.nodes} nodes ${f.podsPerSecond.toFixed(0)} pods/s p99 ${f.p99.toFixed(0)} ms rss ${f.serverRssMiB.toFixed(0)}+${f.schedulerRssMiB.toFixed(0)} MiB`,
);
process.stdout.write(
  `scheduler: ${[
    memory.length > 0 ? `in-memory ${memory.join(', ')}` : '',
    through.length > 0 ? `through API ${through.join(', ')}` : '',
  ]
    .filter((x) => x !== '')
    .join(
      '; ',
    )}; target >= ${target} pods/s at ${largest?.nodes} nodes${api.length > 0 ? ` through the API with ${(largest as ApiFigures | undefined)?.kubelets === 'none' ? 'bare nodes' : 'sim kubelets'}` : ''}: ${ok ? 'met' : 'NOT met'}\n`,
);
