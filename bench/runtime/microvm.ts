// Pod start through the micro-VM adapter (its own process): RunPodSandbox until the guest agent
// answers, then a busybox container created and started in the VM, and the host memory an
// idle pod costs (resident memory of its qemu and virtiofsd). Boots take seconds under
// software emulation, so the run count is small (BENCH_VM_RUNS, default 10).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MicroVmRuntime, microVmOptions } from '../../plugins/runtime-microvm/adapter.ts';
import { VmNetwork } from '../../plugins/runtime-microvm/network.ts';
import { killProcesses, strayProcesses } from '../../plugins/runtime-microvm/processes.ts';
import { connectRuntime, type RuntimeClient } from '../../sdk/runtime/client.ts';
import { buildImages } from '../../test/fixtures/images/index.ts';
import { startDaemon } from '../../test/harness/daemon.ts';

const image = 'skiff.local/busybox:1';
const command = ['sleep', '3600'];
const repoRoot = join(import.meta.dirname, '../..');
const idlePods = 3;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? Number.NaN;
}
const ms = (n: number) => `${n.toFixed(0)} ms`;

async function startPod(client: RuntimeClient, i: number) {
  const config = {
    metadata: {
      name: `bench-${i}`,
      namespace: 'bench',
      uid: `bench-${process.pid}-${i}`,
      attempt: 0,
    },
    hostname: `bench-${i < 0 ? `w${-i}` : i}`,
  };
  const t0 = performance.now();
  const { podSandboxId } = await client.runPodSandbox({ config });
  const t1 = performance.now();
  const { containerId } = await client.createContainer({
    podSandboxId,
    sandboxConfig: config,
    config: { metadata: { name: 'main', attempt: 0 }, image: { image }, command },
  });
  await client.startContainer({ containerId });
  const t2 = performance.now();
  return { podSandboxId, boot: t1 - t0, container: t2 - t1, total: t2 - t0 };
}

async function removePod(client: RuntimeClient, podSandboxId: string): Promise<void> {
  await client.stopPodSandbox({ podSandboxId });
  await client.removePodSandbox({ podSandboxId });
}

function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return Number(m?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** benchMicroVm measures pod start through the micro-VM adapter and an idle pod's host memory. */
export async function benchMicroVm(runs: number, warmup = 1): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-microvm-'));
  const options = { bridge: `skvmb${process.pid % 100000}`, subnet: '10.90.32.0/24' };
  const socket = join(dir, 'runtime.sock');
  const importer = await MicroVmRuntime.start(
    microVmOptions({ ...options, stateDir: dir }),
    undefined,
    true,
  );
  await importer.importImages((await buildImages([image])).path);
  await importer.close();
  const adapter = await startDaemon({
    name: 'runtime-microvm',
    command: process.execPath,
    args: () => [
      join(repoRoot, 'core/cli/skiff.mjs'),
      'runtime',
      'microvm',
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
    stopTimeoutMs: 60_000,
  });
  const client = connectRuntime(`unix://${socket}`, { timeoutMs: 120_000 });
  try {
    const { status } = await client.status({});
    const accel = status?.conditions.find((c) => c.type === 'RuntimeReady')?.reason ?? '?';
    // The first boot also builds the guest's initramfs: warm-up runs are not counted.
    for (let i = 0; i < warmup; i++)
      await removePod(client, (await startPod(client, -1 - i)).podSandboxId);
    const boot: number[] = [];
    const container: number[] = [];
    const total: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await startPod(client, i);
      boot.push(r.boot);
      container.push(r.container);
      total.push(r.total);
      await removePod(client, r.podSandboxId);
    }
    const idle = [];
    for (let i = 0; i < idlePods; i++) idle.push((await startPod(client, 1000 + i)).podSandboxId);
    // Let the guests settle before their memory is read.
    await new Promise((r) => setTimeout(r, 3_000));
    const perPod = strayProcesses(dir).reduce((s, p) => s + rssKiB(p.pid), 0) / idlePods / 1024;
    for (const id of idle) await removePod(client, id);
    const line = (name: string, xs: number[]) =>
      `${name} p50 ${ms(quantile(xs, 0.5))}  p99 ${ms(quantile(xs, 0.99))}  (min ${ms(Math.min(...xs))}, max ${ms(Math.max(...xs))})`;
    process.stdout.write(
      [
        `microvm: runs ${runs} (after ${warmup} warm-up), image ${image}, accelerator ${accel}`,
        line('microvm sandbox boot to ready (RunPodSandbox):', boot),
        line('microvm container create+start in the VM:     ', container),
        line('microvm boot to running container:            ', total),
        `microvm idle pod host memory (qemu + virtiofsd RSS, ${idlePods} pods): ${perPod.toFixed(1)} MiB per pod`,
        `microvm: boot to running container p50 ${ms(quantile(total, 0.5))}, p99 ${ms(quantile(total, 0.99))} under ${accel} (target < 3000 ms), ${perPod.toFixed(1)} MiB per idle pod`,
        '',
      ].join('\n'),
    );
  } catch (err) {
    process.stderr.write(`adapter log:\n${adapter.log().slice(-4000)}\n`);
    throw err;
  } finally {
    client.close();
    await adapter.stop();
    await killProcesses(strayProcesses(dir));
    await new VmNetwork({ ...microVmOptions(options), leases: join(dir, 'unused') }).remove();
    rmSync(dir, { recursive: true, force: true });
  }
}
