// Sandbox plus container start through the containerd adapter (its own process, on a private
// containerd without CRI) beside `ctr run -d` of the same image and command on that same
// containerd, and beside containerd's own CRI plugin (a second private containerd), in one run.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ContainerdRuntime, containerdOptions } from '../../plugins/runtime-containerd/adapter.ts';
import { connectRuntime, type RuntimeClient } from '../../sdk/runtime/client.ts';
import { buildImages } from '../../test/fixtures/images/index.ts';
import { startContainerd } from '../../test/harness/containerd.ts';
import { startNativeContainerd } from '../../test/harness/containerd-native.ts';
import { startDaemon } from '../../test/harness/daemon.ts';
import { freePodSubnet } from '../../test/harness/dockerd.ts';

const run = promisify(execFile);
const image = 'skiff.local/busybox:1';
const pause = 'skiff.local/pause:1';
const command = ['sleep', '3600'];
const namespace = 'skiff-bench';
const repoRoot = join(import.meta.dirname, '../..');

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}
const p = (xs: number[], q: number) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    q,
  );
const ms = (n: number) => `${n.toFixed(1)} ms`;
const phaseLine = (name: string, phases: Phases[]) =>
  `  ${name} p50 by phase: RunPodSandbox ${ms(
    p(
      phases.map((x) => x[0]),
      0.5,
    ),
  )}, CreateContainer ${ms(
    p(
      phases.map((x) => x[1]),
      0.5,
    ),
  )}, StartContainer ${ms(
    p(
      phases.map((x) => x[2]),
      0.5,
    ),
  )}`;

/** Phases of one pod start, in ms: RunPodSandbox, CreateContainer, StartContainer. */
type Phases = [number, number, number];

async function podStart(client: RuntimeClient, i: number, phases?: Phases[]): Promise<number> {
  const t0 = performance.now();
  const sandboxConfig = {
    metadata: {
      name: `bench-${i}`,
      namespace: 'bench',
      uid: `bench-${process.pid}-${i}`,
      attempt: 0,
    },
    hostname: `bench-${i}`,
  };
  const { podSandboxId } = await client.runPodSandbox({ config: sandboxConfig });
  const t1 = performance.now();
  // containerd's CRI dereferences the sandbox config here; it must be sent.
  const { containerId } = await client.createContainer({
    podSandboxId,
    sandboxConfig,
    config: { metadata: { name: 'main', attempt: 0 }, image: { image }, command },
  });
  const t2 = performance.now();
  await client.startContainer({ containerId });
  const t3 = performance.now();
  phases?.push([t1 - t0, t2 - t1, t3 - t2]);
  const elapsed = t3 - t0;
  await client.stopPodSandbox({ podSandboxId });
  await client.removePodSandbox({ podSandboxId });
  return elapsed;
}

/** benchContainerd measures the containerd adapter, `ctr run -d` and containerd's CRI, interleaved. */
export async function benchContainerd(runs: number, warmup: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-containerd-'));
  const archive = (await buildImages([image, pause])).path;
  const native = await startNativeContainerd();
  const reference = await startContainerd({ sandboxImage: pause });
  const options = {
    socket: native.socket,
    namespace,
    subnet: freePodSubnet(),
    bridge: `skbn${process.pid % 100000}`,
  };
  const socket = join(dir, 'runtime.sock');
  const stopAll: (() => Promise<unknown>)[] = [];
  let adapterLog = () => '';
  try {
    await reference.importImages(archive);
    const importer = await ContainerdRuntime.start(
      containerdOptions({ ...options, dataDir: dir }),
      undefined,
      true,
    );
    await importer.importImages(archive);
    await importer.close();
    const adapter = await startDaemon({
      name: 'runtime-containerd',
      command: process.execPath,
      args: () => [
        join(repoRoot, 'core/cli/skiff.mjs'),
        'runtime',
        'containerd',
        '--listen',
        `unix://${socket}`,
        '--state-dir',
        dir,
        '--log-level',
        'warn',
        ...Object.entries(options).flatMap(([k, v]) => ['-o', `${k}=${v}`]),
      ],
      ready: async () => existsSync(socket),
      readyTimeoutMs: 60_000,
    });
    stopAll.push(() => adapter.stop());
    adapterLog = () => adapter.log();
    const viaAdapter = connectRuntime(`unix://${socket}`, { timeoutMs: 60_000 });
    const viaCri = connectRuntime(reference.endpoint, { timeoutMs: 60_000 });
    stopAll.push(async () => {
      viaAdapter.close();
      viaCri.close();
    });
    const runcRoot = join(native.daemon.dir, 'runc', namespace);
    const ctr = (...args: string[]) => run('ctr', ['-a', native.socket, '-n', namespace, ...args]);
    const viaCtr = async (i: number): Promise<number> => {
      const id = `ctr-bench-${i < 0 ? `w${-i}` : i}`;
      const t0 = performance.now();
      await ctr(
        'run',
        '-d',
        '--null-io',
        '--snapshotter',
        'overlayfs',
        '--runc-root',
        runcRoot,
        image,
        id,
        ...command,
      );
      const elapsed = performance.now() - t0;
      await ctr('task', 'kill', '-s', 'SIGKILL', id).catch(() => {});
      for (let t = 0; t < 100; t++) {
        const { stdout } = await ctr('task', 'ls');
        if (!stdout.includes(`${id} `) || stdout.includes('STOPPED')) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await ctr('task', 'delete', id).catch(() => {});
      await ctr('container', 'delete', id);
      return elapsed;
    };
    for (let i = 0; i < warmup; i++) {
      await podStart(viaAdapter, -1 - i);
      await podStart(viaCri, -1 - i);
      await viaCtr(-1 - i);
    }
    const a: number[] = [];
    const c: number[] = [];
    const t: number[] = [];
    const aPhases: Phases[] = [];
    const cPhases: Phases[] = [];
    for (let i = 0; i < runs; i++) {
      a.push(await podStart(viaAdapter, i, aPhases));
      c.push(await podStart(viaCri, i, cPhases));
      t.push(await viaCtr(i));
    }
    const line = (name: string, xs: number[]) =>
      `${name} p50 ${ms(p(xs, 0.5))}  p99 ${ms(p(xs, 0.99))}`;
    process.stdout.write(
      [
        `containerd: runs ${runs} each (after ${warmup} warm-up runs), image ${image}`,
        line('containerd adapter sandbox+container start:', a),
        line('containerd CRI     sandbox+container start:', c),
        line('ctr run -d (container only, no CNI):       ', t),
        phaseLine('adapter', aPhases),
        phaseLine('CRI    ', cPhases),
        `containerd: p50 ratio to CRI ${(p(a, 0.5) / p(c, 0.5)).toFixed(2)} (p99 ${(p(a, 0.99) / p(c, 0.99)).toFixed(2)}), to ctr run ${(p(a, 0.5) / p(t, 0.5)).toFixed(2)} (target <= 1.3)`,
        '',
      ].join('\n'),
    );
  } catch (err) {
    process.stderr.write(
      `adapter log:\n${adapterLog()}\nCRI log:\n${reference.daemon.log().slice(-2000)}\nnative log:\n${native.daemon.log().slice(-2000)}\n`,
    );
    throw err;
  } finally {
    for (const stop of stopAll.reverse()) await stop().catch(() => {});
    await reference.stop();
    await native.stop();
    await run('ip', ['link', 'del', options.bridge]).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
