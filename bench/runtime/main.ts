// Sandbox plus container start through the Docker adapter (runtime.v1 over its socket, the
// adapter in its own process) beside `docker run -d` of the same image and command, on one
// private dockerd. Prints p50/p99 of each and their ratio; the target is a ratio ≤ 1.3.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectRuntime } from '../../sdk/runtime/client.ts';
import { buildImages } from '../../test/fixtures/images/index.ts';
import { freePodSubnet, startDockerd, startDockerRuntime } from '../../test/harness/dockerd.ts';
import { benchContainerd } from './containerd.ts';
import { benchMicroVm } from './microvm.ts';

const runs = Number(process.env.BENCH_RUNS ?? 50);
// BENCH_RUNTIMES=docker,containerd,microvm picks which adapters run (all by default).
const picked = (name: string) =>
  (process.env.BENCH_RUNTIMES ?? 'docker,containerd,microvm').split(',').includes(name);
const warmup = 3;
const image = 'skiff.local/busybox:1';
const command = ['sleep', '3600'];
const network = 'skiff-pods';
// BENCH_LOGS=1 gives each pod a log directory and its container a log path, as the kubelet
// does, so StartContainer also starts the CRI log copy (off by default, as in earlier figures).
const withLogs = process.env.BENCH_LOGS === '1';

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

function summary(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: quantile(s, 0.5), p99: quantile(s, 0.99), min: s[0] ?? 0, max: s.at(-1) ?? 0 };
}

const ms = (n: number) => `${n.toFixed(1)} ms`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-runtime-'));
  const dockerd = await startDockerd();
  try {
    await dockerd.loadImages((await buildImages([image])).path);
    const adapter = await startDockerRuntime(dockerd, join(dir, 'runtime.sock'), {
      network,
      subnet: freePodSubnet(),
    });
    const client = connectRuntime(adapter.endpoint, { timeoutMs: 60_000 });
    try {
      const phases = { sandbox: [] as number[], create: [] as number[], start: [] as number[] };
      const viaAdapter = async (i: number): Promise<number> => {
        const t0 = performance.now();
        const { podSandboxId } = await client.runPodSandbox({
          config: {
            metadata: {
              name: `bench-${i}`,
              namespace: 'bench',
              uid: `bench-${process.pid}-${i}`,
              attempt: 0,
            },
            hostname: `bench-${i}`,
            logDirectory: withLogs ? join(dir, 'logs', String(i)) : '',
          },
        });
        const t1 = performance.now();
        const { containerId } = await client.createContainer({
          podSandboxId,
          config: {
            metadata: { name: 'main', attempt: 0 },
            image: { image },
            command,
            logPath: withLogs ? 'main.log' : '',
          },
        });
        const t2 = performance.now();
        await client.startContainer({ containerId });
        const elapsed = performance.now() - t0;
        if (i >= 0) {
          phases.sandbox.push(t1 - t0);
          phases.create.push(t2 - t1);
          phases.start.push(performance.now() - t2);
        }
        await client.stopPodSandbox({ podSandboxId });
        await client.removePodSandbox({ podSandboxId });
        return elapsed;
      };
      const dockerPhases = { create: [] as number[], start: [] as number[] };
      const viaDocker = async (measured = true): Promise<number> => {
        const t0 = performance.now();
        // What `docker run -d` does: create, then start.
        const c = await dockerd.docker.createContainer({
          Image: image,
          Cmd: command,
          HostConfig: { NetworkMode: network },
        });
        const t1 = performance.now();
        await c.start();
        const elapsed = performance.now() - t0;
        if (measured) {
          dockerPhases.create.push(t1 - t0);
          dockerPhases.start.push(performance.now() - t1);
        }
        await c.remove({ force: true });
        return elapsed;
      };
      // The adapter's first sandbox creates the network `docker run` also uses.
      for (let i = 0; i < warmup; i++) {
        await viaAdapter(-1 - i);
        await viaDocker(false);
      }
      const adapterMs: number[] = [];
      const dockerMs: number[] = [];
      // Interleaved, so drift in the machine's load falls on both alike.
      for (let i = 0; i < runs; i++) {
        adapterMs.push(await viaAdapter(i));
        dockerMs.push(await viaDocker());
      }
      const a = summary(adapterMs);
      const d = summary(dockerMs);
      process.stdout.write(
        [
          `runs: ${runs} each (after ${warmup} warm-up runs), image ${image}, private dockerd${withLogs ? ', CRI log files' : ''}`,
          `adapter  sandbox+container start: p50 ${ms(a.p50)}  p99 ${ms(a.p99)}  (min ${ms(a.min)}, max ${ms(a.max)})`,
          `  of which RunPodSandbox p50 ${ms(summary(phases.sandbox).p50)}, CreateContainer p50 ${ms(summary(phases.create).p50)}, StartContainer p50 ${ms(summary(phases.start).p50)}`,
          `docker run -d (create+start):     p50 ${ms(d.p50)}  p99 ${ms(d.p99)}  (min ${ms(d.min)}, max ${ms(d.max)})`,
          `  of which create p50 ${ms(summary(dockerPhases.create).p50)}, start p50 ${ms(summary(dockerPhases.start).p50)}`,
          `runtime: p50 ratio ${(a.p50 / d.p50).toFixed(2)}, p99 ratio ${(a.p99 / d.p99).toFixed(2)} (target p50 ratio <= 1.3)`,
          '',
        ].join('\n'),
      );
    } finally {
      client.close();
      await adapter.daemon.stop();
    }
  } finally {
    await dockerd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (picked('docker')) await main();
// The containerd adapter beside `ctr run -d` and containerd's CRI (see containerd.ts).
if (picked('containerd')) await benchContainerd(runs, warmup);
// The micro-VM adapter: boot to a running container and memory per idle pod (see microvm.ts).
if (picked('microvm')) await benchMicroVm(Number(process.env.BENCH_VM_RUNS ?? 10));
