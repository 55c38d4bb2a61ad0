import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ContainerdRuntime, containerdOptions } from './adapter.ts';

// The daemons started with a config under dir: the private containerd and nothing else.
function pidsOf(binary: string, dir: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd[0] === binary && cmd.some((a) => a.startsWith(dir))) out.push(Number(pid));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

describe('runtime-containerd without a socket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-ctrd-private-'));
  let runtime: ContainerdRuntime | undefined;

  afterAll(async () => {
    await runtime?.close();
    for (const pid of pidsOf('/usr/bin/containerd', dir)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts a private containerd with its root, state, socket and config under the data dir, and stops it on close', async () => {
    runtime = await ContainerdRuntime.start(
      containerdOptions({ dataDir: dir, namespace: 'private' }),
    );
    const privateDir = join(dir, 'containerd');
    expect(existsSync(join(privateDir, 'containerd.sock'))).toBe(true);
    expect(readFileSync(join(privateDir, 'config.toml'), 'utf8')).toContain(
      `root = "${privateDir}/root"`,
    );
    expect(runtime.runtimeVersion).toMatch(/^\d+\.\d+/);
    expect(pidsOf('/usr/bin/containerd', dir)).toHaveLength(1);
    const { status } = await runtime.status({} as never);
    expect(status?.conditions?.find((c) => c.type === 'RuntimeReady')?.status).toBe(true);
    await runtime.close();
    runtime = undefined;
    expect(pidsOf('/usr/bin/containerd', dir)).toEqual([]);
  });
});
