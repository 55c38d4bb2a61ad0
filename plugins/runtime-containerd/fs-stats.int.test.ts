import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcCode } from '../../sdk/errors.ts';
import { connectRuntime, type RuntimeClient } from '../../sdk/runtime/client.ts';
import { type RuntimeServer, serveRuntime } from '../../sdk/runtime/server.ts';
import { buildImages } from '../../test/fixtures/images/index.ts';
import {
  type NativeContainerd,
  startNativeContainerd,
} from '../../test/harness/containerd-native.ts';
import { ContainerdRuntime, containerdOptions } from './adapter.ts';

const busybox = 'skiff.local/busybox:1';
const mib = 1024n * 1024n;

describe('runtime-containerd ImageFsInfo and pod sandbox stats', () => {
  let containerd: NativeContainerd;
  let dir: string;
  let server: RuntimeServer | undefined;
  let client: RuntimeClient;
  const suffix = Math.random().toString(36).slice(2, 7);
  const bridge = `skfs${suffix}`;
  const subnet = `10.89.${100 + Math.floor(Math.random() * 150)}.0/24`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-ctrd-fs-'));
    containerd = await startNativeContainerd();
    const adapter = await ContainerdRuntime.start(
      containerdOptions({
        socket: containerd.socket,
        namespace: 'skiff-fs',
        dataDir: dir,
        bridge,
        subnet,
      }),
    );
    await adapter.importImages((await buildImages([busybox])).path);
    server = await serveRuntime(adapter, { listen: `unix://${join(dir, 'runtime.sock')}` });
    client = connectRuntime(`unix://${join(dir, 'runtime.sock')}`, { timeoutMs: 60_000 });
  });

  afterAll(async () => {
    try {
      if (client) {
        const { items } = await client.listPodSandbox({}).catch(() => ({ items: [] }));
        for (const s of items)
          await client.removePodSandbox({ podSandboxId: s.id }).catch(() => {});
        client.close();
      }
      await server?.close();
    } finally {
      await containerd?.stop();
      try {
        execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
      } catch {
        // never made
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts image layers and writable layers on the snapshotter root, and sums a pod', async () => {
    const fs0 = await client.imageFsInfo({});
    const root = join(dirname(containerd.socket), 'root', 'io.containerd.snapshotter.v1.overlayfs');
    expect(fs0.imageFilesystems[0]?.fsId?.mountpoint).toBe(root);
    expect(existsSync(root)).toBe(true);
    // busybox-static alone is above a megabyte.
    expect(BigInt(fs0.imageFilesystems[0]?.usedBytes?.value ?? 0)).toBeGreaterThan(mib);
    expect(BigInt(fs0.imageFilesystems[0]?.inodesUsed?.value ?? 0)).toBeGreaterThan(0n);
    const written0 = BigInt(fs0.containerFilesystems[0]?.usedBytes?.value ?? 0);

    const sandboxConfig = {
      metadata: { name: 'stats', namespace: 'fs', uid: 'uid-stats', attempt: 0 },
      hostname: 'stats',
      logDirectory: join(dir, 'logs'),
      labels: { app: 'stats' },
    };
    const { podSandboxId } = await client.runPodSandbox({ config: sandboxConfig });
    const { containerId } = await client.createContainer({
      podSandboxId,
      config: {
        metadata: { name: 'writer', attempt: 0 },
        image: { image: busybox },
        command: [
          'sh',
          '-c',
          'dd if=/dev/zero of=/blob bs=1024 count=4096 && touch /written && exec sleep 3600',
        ],
        logPath: 'writer.log',
      },
      sandboxConfig,
    });
    await client.startContainer({ containerId });
    for (let i = 0; i < 100; i++) {
      const r = await client.execSync({ containerId, cmd: ['test', '-e', '/written'], timeout: 5 });
      if (r.exitCode === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }

    const fs1 = await client.imageFsInfo({});
    const written1 = BigInt(fs1.containerFilesystems[0]?.usedBytes?.value ?? 0);
    expect(written1 - written0).toBeGreaterThanOrEqual(4n * mib);

    const { stats } = await client.podSandboxStats({ podSandboxId });
    expect(stats?.attributes?.id).toBe(podSandboxId);
    expect(stats?.attributes?.labels).toEqual({ app: 'stats' });
    expect(stats?.linux?.containers.map((c) => c.attributes?.id)).toEqual([containerId]);
    const own = BigInt(stats?.linux?.containers[0]?.memory?.usageBytes?.value ?? 0);
    const pod = BigInt(stats?.linux?.memory?.usageBytes?.value ?? 0);
    expect(own).toBeGreaterThan(0n);
    expect(pod).toBeGreaterThan(own);
    expect(BigInt(stats?.linux?.cpu?.usageCoreNanoSeconds?.value ?? 0)).toBeGreaterThan(0n);

    const listed = await client.listPodSandboxStats({
      filter: { labelSelector: { app: 'stats' } },
    });
    expect(listed.stats.map((s) => s.attributes?.id)).toEqual([podSandboxId]);
    const none = await client.listPodSandboxStats({ filter: { labelSelector: { app: 'other' } } });
    expect(none.stats).toEqual([]);

    const missing = await client.podSandboxStats({ podSandboxId: 'f'.repeat(64) }).then(
      () => undefined,
      (e: { grpcCode?: number }) => e.grpcCode,
    );
    expect(missing).toBe(grpcCode.NOT_FOUND);

    await client.removePodSandbox({ podSandboxId });
    const fs2 = await client.imageFsInfo({});
    expect(BigInt(fs2.containerFilesystems[0]?.usedBytes?.value ?? 0)).toBeLessThan(written1);
  });
});
