// The scheduler bench through a real control plane: `skiff server`, `skiff scheduler` and
// `skiff sim` each in its own process, talking HTTPS. Pods are created by this process at full
// speed; a watch sees each one bound. Figures: pods scheduled per second (first create to last
// binding), create → bound latency, and the peak RSS of the server and the scheduler.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simNode, simNodeStatus } from '../../core/sim/objects.ts';
import type { Pod } from '../../sdk/api/core/pod.ts';
import { KubeClient } from '../../sdk/client/client.ts';

const cli = fileURLToPath(new URL('../../core/cli/skiff.mjs', import.meta.url));
const podsRef = { group: '', version: 'v1', plural: 'pods', namespace: 'bench' };

/**
 * Kubelets says what stands behind the nodes: `sim` runs `skiff sim` (each node registers
 * itself, renews its Lease and reports its pods Running), `none` registers bare Node objects
 * from the bench, as Kubernetes' scheduler_perf does, so only creates and bindings reach the API.
 */
export type Kubelets = 'sim' | 'none';

/** ApiFigures are the results of one run. */
export interface ApiFigures {
  kubelets: Kubelets;
  nodes: number;
  pods: number;
  scheduled: number;
  podsPerSecond: number;
  createsPerSecond: number;
  p50: number;
  p99: number;
  serverRssMiB: number;
  schedulerRssMiB: number;
  joinSeconds: number;
  /** serverCpuMsPerPod is the server's CPU time (user + system) from first create to last bind, per pod. */
  serverCpuMsPerPod: number;
  /** schedulerCpuMsPerPod is the same for the scheduler; less sensitive to machine load than pods/s. */
  schedulerCpuMsPerPod: number;
  /** simCpuMsPerPod is the same for `skiff sim` (NaN without kubelets). */
  simCpuMsPerPod: number;
  /** loadAverage is the machine's one-minute load average at the end of the run. */
  loadAverage: number;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

// SKIFF_BENCH_CPU_PROF=scheduler (or server, sim, or a comma list of them) writes those
// processes' CPU profiles, for finding where the time goes, to SKIFF_BENCH_PROF_DIR or else
// <tmpdir>/skiff-bench-profiles: never into the working directory, which `npm run bench` sets
// to the repository.
const profiled = new Set((process.env.SKIFF_BENCH_CPU_PROF ?? '').split(','));
const profileDir = process.env.SKIFF_BENCH_PROF_DIR ?? join(tmpdir(), 'skiff-bench-profiles');

/** launch starts a skiff command and resolves once its output matches `ready`. */
function launch(args: string[], ready: RegExp, timeoutMs: number): Promise<ChildProcess> {
  const prof = profiled.has(args[0] ?? '') ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  if (prof.length > 0) process.stderr.write(`CPU profile of skiff ${args[0]} -> ${profileDir}\n`);
  const child = spawn(process.execPath, [...prof, cli, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`skiff ${args[0]} not ready in ${timeoutMs} ms: ${out.slice(-2000)}`)),
      timeoutMs,
    );
    const feed = (d: Buffer) => {
      out += d.toString();
      if (out.length > 100_000) out = out.slice(-50_000);
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on('data', feed);
    child.stderr?.on('data', feed);
    child.once('exit', (code) => {
      running.delete(child);
      clearTimeout(timer);
      reject(new Error(`skiff ${args[0]} exited ${code}: ${out.slice(-2000)}`));
    });
  });
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
  running.delete(child);
}

/** peakRssMiB is the process's high-water resident set (VmHWM) in MiB. */
function peakRssMiB(child: ChildProcess | undefined): number {
  try {
    const status = readFileSync(`/proc/${child?.pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
    return kb / 1024;
  } catch {
    return Number.NaN;
  }
}

/** cpuMs is a process's CPU time so far (user + system) in ms, from /proc/PID/stat. */
function cpuMs(child: ChildProcess | undefined): number {
  try {
    const stat = readFileSync(`/proc/${child?.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;

const pod = (i: number): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod-${i}`, labels: { app: `app-${i % 50}` } },
    spec: {
      containers: [
        {
          name: 'main',
          image: 'registry.example/app:1.0',
          resources: { requests: { cpu: '100m', memory: '128Mi' } },
        },
      ],
    },
  }) as Pod;

/** registerBareNodes creates Ready Node objects with no kubelet behind them. */
async function registerBareNodes(client: KubeClient, nodes: number): Promise<void> {
  const nodesRef = { group: '', version: 'v1', plural: 'nodes' };
  const spec = { cpu: '32', memory: '128Gi', pods: '110' };
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < nodes) {
        const i = next++;
        const name = `node-${i}`;
        const created = await client.create(
          nodesRef,
          simNode(name, `10.${128 + (i >> 8)}.${i & 255}.0/24`),
        );
        await client.updateStatus(nodesRef, {
          ...created,
          status: simNodeStatus(name, `10.127.${i >> 8}.${i & 255}`, spec),
        });
      }
    }),
  );
}

/** runThroughApi runs one bench: a fresh server, `nodes` nodes, `pods` pods. */
export async function runThroughApi(
  nodes: number,
  pods: number,
  kubelets: Kubelets = 'sim',
): Promise<ApiFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-sched-'));
  const data = join(dir, 'data');
  let server: ChildProcess | undefined;
  let scheduler: ChildProcess | undefined;
  let sim: ChildProcess | undefined;
  let client: KubeClient | undefined;
  const abort = new AbortController();
  try {
    server = await launch(
      ['server', '--data-dir', data, '--port', '0'],
      /listening on https:/,
      60_000,
    );
    const kubeconfig = join(data, 'admin.kubeconfig');
    client = KubeClient.fromKubeconfig(kubeconfig);
    const url = client.server;
    const joinStart = performance.now();
    if (kubelets === 'none') await registerBareNodes(client, nodes);
    else {
      sim = await launch(
        [
          'sim',
          '--server',
          url,
          '--token',
          readFileSync(join(data, 'node-token'), 'utf8').trim(),
          '--ca',
          join(data, 'pki', 'ca.crt'),
          '--nodes',
          String(nodes),
          '--cpu',
          '32',
          '--memory',
          '128Gi',
        ],
        /simulated nodes ready/,
        240_000,
      );
    }
    const joinSeconds = (performance.now() - joinStart) / 1000;
    const config = join(dir, 'cluster.yaml');
    writeFileSync(
      config,
      'apiVersion: skiff.dev/v1alpha1\nkind: ClusterConfig\nplugins:\n  - scheduler-default\n',
    );
    scheduler = await launch(
      ['scheduler', '-k', kubeconfig, '-c', config],
      /skiff scheduler scheduling/,
      60_000,
    );
    await client.create(
      { group: '', version: 'v1', plural: 'namespaces' },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } },
    );
    const createdAt = new Map<string, number>();
    const latencies: number[] = [];
    let lastBound = 0;
    let allBound: () => void = () => {};
    const bound = new Promise<void>((r) => {
      allBound = r;
    });
    const seen = new Set<string>();
    const list = await client.list(podsRef);
    const watching = (async () => {
      for await (const ev of (client as KubeClient).watch<Pod>(podsRef, {
        resourceVersion: list.metadata.resourceVersion,
        signal: abort.signal,
      })) {
        const name = ev.object.metadata?.name ?? '';
        if (!ev.object.spec?.nodeName || seen.has(name)) continue;
        seen.add(name);
        const now = performance.now();
        lastBound = now;
        latencies.push(now - (createdAt.get(name) ?? now));
        if (seen.size === pods) allBound();
      }
    })().catch((err) => {
      if (!abort.signal.aborted) throw err;
    });
    const cpu0 = [server, scheduler, sim].map(cpuMs);
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < pods) {
          const i = next++;
          createdAt.set(`pod-${i}`, performance.now());
          await (client as KubeClient).create(podsRef, pod(i));
        }
      }),
    );
    const createSeconds = (performance.now() - t0) / 1000;
    const deadline = new Promise<void>((r) => setTimeout(r, 180_000).unref());
    await Promise.race([bound, deadline]);
    const cpu = [server, scheduler, sim].map((c, i) => (cpuMs(c) - (cpu0[i] ?? 0)) / pods);
    const serverRssMiB = peakRssMiB(server);
    const schedulerRssMiB = peakRssMiB(scheduler);
    abort.abort();
    await watching;
    latencies.sort((a, b) => a - b);
    const seconds = ((seen.size === pods ? lastBound : performance.now()) - t0) / 1000;
    return {
      kubelets,
      nodes,
      pods,
      scheduled: seen.size,
      podsPerSecond: seen.size / seconds,
      createsPerSecond: pods / createSeconds,
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
      serverRssMiB,
      schedulerRssMiB,
      joinSeconds,
      serverCpuMsPerPod: cpu[0] ?? Number.NaN,
      schedulerCpuMsPerPod: cpu[1] ?? Number.NaN,
      simCpuMsPerPod: cpu[2] ?? Number.NaN,
      loadAverage: loadavg()[0] ?? Number.NaN,
    };
  } finally {
    abort.abort();
    client?.close();
    await stop(scheduler);
    await stop(sim);
    await stop(server);
    rmSync(dir, { recursive: true, force: true });
  }
}
