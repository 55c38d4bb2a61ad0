import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { grpcCode } from '../../sdk/errors.ts';
import { connectRuntime, type RuntimeClient } from '../../sdk/runtime/client.ts';
import { buildImages } from '../../test/fixtures/images/index.ts';
import { type Daemon, startDaemon } from '../../test/harness/daemon.ts';
import { MicroVmRuntime, microVmOptions } from './adapter.ts';
import { tapName, VmNetwork } from './network.ts';
import { isRunning, killProcesses, type ProcessRecord, strayProcesses } from './processes.ts';

const repoRoot = join(import.meta.dirname, '../..');
const busybox = 'skiff.local/busybox:1';
const dir = mkdtempSync(join(tmpdir(), 'skiff-microvm-rt-'));
const options = {
  bridge: `skvmr${Math.random().toString(36).slice(2, 7)}`,
  subnet: `10.90.${130 + Math.floor(Math.random() * 60)}.0/24`,
  vmGraceSeconds: '2',
};
const socket = join(dir, 'runtime.sock');
const endpoint = `unix://${socket}`;
let adapter: Daemon | undefined;
let client: RuntimeClient;

async function startAdapter(): Promise<void> {
  adapter = await startDaemon({
    name: 'runtime-microvm',
    command: process.execPath,
    args: () => [
      join(repoRoot, 'core/cli/skiff.mjs'),
      'runtime',
      'microvm',
      '--listen',
      endpoint,
      '--state-dir',
      dir,
      '--log-level',
      'warn',
      ...Object.entries(options).flatMap(([k, v]) => ['-o', `${k}=${v}`]),
    ],
    ready: async () => existsSync(socket),
    readyTimeoutMs: 60_000,
    stopTimeoutMs: 30_000,
  });
  client = connectRuntime(endpoint, { timeoutMs: 120_000 });
  await client.waitForReady(30_000);
}

let counter = 0;
function podConfig(extra: object = {}) {
  counter += 1;
  return {
    metadata: {
      name: `pod-${counter}`,
      namespace: 'microvm-test',
      uid: `u-${counter}`,
      attempt: 0,
    },
    hostname: `pod-${counter}`,
    logDirectory: mkdtempSync(join(dir, 'logs-')),
    ...extra,
  };
}

async function startPod(command: string[], extra: object = {}) {
  const config = podConfig(extra);
  const { podSandboxId } = await client.runPodSandbox({ config });
  const { containerId } = await client.createContainer({
    podSandboxId,
    sandboxConfig: config,
    config: { metadata: { name: 'main', attempt: 0 }, image: { image: busybox }, command },
  });
  await client.startContainer({ containerId });
  return { podSandboxId, containerId };
}

function vmProcesses(podSandboxId: string): ProcessRecord[] {
  return JSON.parse(
    readFileSync(join(dir, 'vms', podSandboxId.slice(0, 16), 'processes.json'), 'utf8'),
  ) as ProcessRecord[];
}

const linkExists = (name: string) => {
  try {
    execFileSync('ip', ['link', 'show', 'dev', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  const importer = await MicroVmRuntime.start(
    microVmOptions({ ...options, stateDir: dir }),
    undefined,
    true,
  );
  await importer.importImages((await buildImages([busybox])).path);
  await importer.close();
  await startAdapter();
});

afterAll(async () => {
  client?.close();
  await adapter?.stop();
  await killProcesses(strayProcesses(dir));
  await new VmNetwork({ ...microVmOptions(options), leases: join(dir, 'unused') }).remove();
  rmSync(dir, { recursive: true, force: true });
});

describe('runtime-microvm as its own process', () => {
  it('reports the accelerator in Version and Status', async () => {
    const v = await client.version({});
    expect(v.runtimeName).toBe('skiff-microvm');
    expect(v.runtimeVersion).toMatch(/qemu microvm, (kvm|tcg)/);
    const { status } = await client.status({});
    const ready = status?.conditions.find((c) => c.type === 'RuntimeReady');
    expect(ready?.status).toBe(true);
    expect(ready?.message).toMatch(/^micro-VMs run under (kvm|tcg): ./);
    expect((await client.capabilities())?.isolation).toBe('vm');
    const fs = await client.imageFsInfo({});
    expect(fs.imageFilesystems[0]?.fsId?.mountpoint).toBe(join(dir, 'images'));
    expect(BigInt(fs.imageFilesystems[0]?.usedBytes?.value ?? 0)).toBeGreaterThan(0n);
  });

  it("serves from the pod's address to the host, and sizes the VM from the pod's limits", async () => {
    const { podSandboxId } = await startPod(
      [
        'sh',
        '-c',
        'mkdir -p /www && echo hello-from-vm > /www/index.html && exec httpd -f -p 8080 -h /www',
      ],
      {
        linux: {
          resources: { cpuPeriod: 100_000, cpuQuota: 150_000, memoryLimitInBytes: 200 * 2 ** 20 },
        },
      },
    );
    try {
      const { status } = await client.podSandboxStatus({ podSandboxId });
      const ip = status?.network?.ip ?? '';
      expect(ip.startsWith(options.subnet.split('.').slice(0, 3).join('.'))).toBe(true);
      let body = '';
      for (let i = 0; i < 100 && !body; i++) {
        body = await fetch(`http://${ip}:8080/`)
          .then((r) => r.text())
          .catch(() => '');
        if (!body) await new Promise((r) => setTimeout(r, 200));
      }
      expect(body.trim()).toBe('hello-from-vm');
      // PortForward through the streaming server (v4.channel.k8s.io: channel 0 data, each
      // channel opening with the port number) reaches the same server.
      const pf = await client.portForward({ podSandboxId, port: [8080] });
      const forwarded = await new Promise<string>((resolve, reject) => {
        const ws = new WebSocket(pf.url.replace(/^http/, 'ws'), ['v4.channel.k8s.io']);
        let data = '';
        let frames = 0;
        ws.on('message', (d: Buffer) => {
          frames += 1;
          // The first two frames name the port on the data and the error channel.
          if (frames <= 2) {
            if (frames === 2)
              ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('GET / HTTP/1.0\r\n\r\n')]));
            return;
          }
          if (d[0] === 0) data += d.subarray(1).toString();
        });
        ws.on('close', () => resolve(data));
        ws.on('error', reject);
        setTimeout(() => ws.terminate(), 15_000);
      });
      expect(forwarded).toContain('200 OK');
      expect(forwarded).toContain('hello-from-vm');
      const qemu = vmProcesses(podSandboxId).find((p) => p.role === 'qemu')!;
      const argv = readFileSync(`/proc/${qemu.pid}/cmdline`, 'utf8').split('\0');
      // 1.5 CPUs round up to 2; 200 MiB plus the 64 MiB guest overhead.
      expect(argv[argv.indexOf('-smp') + 1]).toBe('2');
      expect(argv[argv.indexOf('-m') + 1]).toBe('264M');
    } finally {
      await client.stopPodSandbox({ podSandboxId });
      await client.removePodSandbox({ podSandboxId });
    }
  });

  it("reports a container's CPU and memory from inside its VM, and applies the limits UpdateContainerResources sets", async () => {
    // The container spins (CPU); an exec holds ~12 MB (memory charged to it) until the test has
    // seen it and releases it. Software emulation pipes a few MB/s, so the sizes stay small.
    const { podSandboxId, containerId } = await startPod(['sh', '-c', 'while :; do :; done']);
    const hold =
      'x=$(head -c 12000000 /dev/zero | tr "\\0" a); while [ ! -e /tmp/release ]; do sleep 0.2; done; echo held';
    try {
      const holding = client.execSync({ containerId, cmd: ['sh', '-c', hold], timeout: 120 });
      let stats = (await client.containerStats({ containerId })).stats;
      for (
        let i = 0;
        i < 300 && BigInt(stats?.memory?.workingSetBytes?.value ?? 0) < 10_000_001n;
        i++
      ) {
        await new Promise((r) => setTimeout(r, 200));
        stats = (await client.containerStats({ containerId })).stats;
      }
      await client.execSync({ containerId, cmd: ['touch', '/tmp/release'], timeout: 30 });
      expect(stats?.attributes?.id).toBe(containerId);
      const cpu1 = BigInt(stats?.cpu?.usageCoreNanoSeconds?.value ?? 0);
      const ws = BigInt(stats?.memory?.workingSetBytes?.value ?? 0);
      expect(ws).toBeGreaterThan(10_000_000n);
      expect(BigInt(stats?.memory?.usageBytes?.value ?? 0)).toBeGreaterThanOrEqual(ws);
      expect((await holding).stdout.toString()).toContain('held');
      const later = (await client.listContainerStats({ filter: { podSandboxId } })).stats;
      expect(later.map((s) => s.attributes?.id)).toEqual([containerId]);
      // The spinning main process keeps costing CPU time: the counter is live.
      expect(BigInt(later[0]?.cpu?.usageCoreNanoSeconds?.value ?? 0)).toBeGreaterThan(cpu1);
      // And the memory the exec held is given back.
      expect(BigInt(later[0]?.memory?.workingSetBytes?.value ?? 0)).toBeLessThan(ws);
      // The sandbox's figures are its containers' summed, from the same guest request.
      const pod = (await client.podSandboxStats({ podSandboxId })).stats;
      expect(pod?.attributes?.id).toBe(podSandboxId);
      expect(pod?.linux?.containers?.map((s) => s.attributes?.id)).toEqual([containerId]);
      expect(BigInt(pod?.linux?.cpu?.usageCoreNanoSeconds?.value ?? 0)).toBeGreaterThan(cpu1);
      expect(BigInt(pod?.linux?.memory?.workingSetBytes?.value ?? 0)).toBeGreaterThan(0n);
      const pods = (await client.listPodSandboxStats({ filter: { id: podSandboxId } })).stats;
      expect(pods.map((s) => s.attributes?.id)).toEqual([podSandboxId]);
      const none = await client.podSandboxStats({ podSandboxId: 'no-such-sandbox' }).then(
        () => 'answered',
        (err: Error) => err.message,
      );
      expect(none).toMatch(/not found/i);

      // Limits land in the container's own cgroup, which it sees (read-only) at
      // /sys/fs/cgroup, as runc shows cgroup v2; an exec is charged to the same group.
      const read = async () =>
        (
          await client.execSync({
            containerId,
            cmd: ['cat', '/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/cpu.max'],
            timeout: 30,
          })
        ).stdout
          .toString()
          .trim()
          .split('\n');
      expect(await read()).toEqual(['max', 'max 100000']);
      await client.updateContainerResources({
        containerId,
        linux: { memoryLimitInBytes: 64 * 2 ** 20, cpuPeriod: 100_000, cpuQuota: 50_000 },
      });
      expect(await read()).toEqual([String(64 * 2 ** 20), '50000 100000']);
      await client.updateContainerResources({ containerId, linux: {} });
      expect(await read()).toEqual(['max', 'max 100000']);
      const bad = await client
        .updateContainerResources({ containerId: 'no-such-container', linux: {} })
        .then(
          () => grpcCode.OK,
          (err: { grpcCode?: number }) => err.grpcCode,
        );
      expect(bad).toBe(grpcCode.NOT_FOUND);
    } finally {
      await client.stopPodSandbox({ podSandboxId });
      await client.removePodSandbox({ podSandboxId });
    }
  });

  it('marks the sandbox not ready and its containers exited when its VM dies', async () => {
    const { podSandboxId, containerId } = await startPod(['sleep', '600']);
    const procs = vmProcesses(podSandboxId);
    process.kill(procs.find((p) => p.role === 'qemu')!.pid, 'SIGKILL');
    for (let i = 0; i < 100; i++) {
      const { status } = await client.podSandboxStatus({ podSandboxId });
      if (status?.state === 'SANDBOX_NOTREADY') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await client.podSandboxStatus({ podSandboxId })).status?.state).toBe(
      'SANDBOX_NOTREADY',
    );
    expect((await client.containerStatus({ containerId })).status).toMatchObject({
      state: 'CONTAINER_EXITED',
      exitCode: 137,
    });
    await client.removePodSandbox({ podSandboxId });
    expect(procs.some(isRunning)).toBe(false);
    expect(linkExists(tapName(podSandboxId))).toBe(false);
  });

  it('reaps the VMs of a crashed adapter on restart and keeps their records not ready', async () => {
    const { podSandboxId, containerId } = await startPod(['sleep', '600']);
    const procs = vmProcesses(podSandboxId);
    // Only the adapter dies: its VMs are orphaned, as after a crash.
    process.kill(adapter!.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    expect(procs.every(isRunning)).toBe(true);
    client.close();
    await adapter!.stop();
    await startAdapter();
    expect(procs.some(isRunning)).toBe(false);
    expect(strayProcesses(dir)).toEqual([]);
    expect(linkExists(tapName(podSandboxId))).toBe(false);
    expect((await client.podSandboxStatus({ podSandboxId })).status?.state).toBe(
      'SANDBOX_NOTREADY',
    );
    expect((await client.containerStatus({ containerId })).status?.state).toBe('CONTAINER_EXITED');
    await client.removePodSandbox({ podSandboxId });
    const gone = await client.podSandboxStatus({ podSandboxId }).catch((e) => e);
    expect(gone.grpcCode).toBe(grpcCode.NOT_FOUND);
  });
});

describe('runtime-microvm when a VM cannot boot', () => {
  it('answers the cause and leaves no record, tap, address or process behind', async () => {
    const root = mkdtempSync(join(tmpdir(), 'skiff-microvm-fail-'));
    const failing = {
      ...options,
      bridge: `${options.bridge}f`,
      subnet: `10.90.${190 + Math.floor(Math.random() * 50)}.0/24`,
      stateDir: root,
      kernel: '/no/such/vmlinuz',
      initrd: '/no/such/initrd',
    };
    const rt = await MicroVmRuntime.start(microVmOptions(failing));
    const network = new VmNetwork({
      ...microVmOptions(failing),
      leases: join(root, 'network', 'leases.json'),
    });
    try {
      const err = await rt.runPodSandbox({ config: podConfig() } as never).catch((e) => e);
      expect(err).toMatchObject({ code: 'InternalError' });
      expect(String(err.message)).toContain('the guest kernel /no/such/vmlinuz does not exist');
      expect((await rt.listPodSandbox({ filter: null } as never)).items).toEqual([]);
      expect(network.leases()).toEqual({});
      expect(
        execFileSync('ip', ['-o', 'link', 'show', 'master', failing.bridge], { encoding: 'utf8' }),
      ).toBe('');
      expect(strayProcesses(root)).toEqual([]);
    } finally {
      await rt.close();
      await network.remove();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
