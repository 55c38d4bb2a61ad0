import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { connectRuntime } from '../../sdk/runtime/client.ts';
import { buildImages } from '../fixtures/images/index.ts';
import { type Containerd, startContainerd } from './containerd.ts';

const pause = 'skiff.local/pause:1';

const linkExists = (name: string) => {
  try {
    execFileSync('ip', ['link', 'show', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const mountsUnder = (dir: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(`${dir}/`));
const processesNaming = (text: string) =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    });

async function withSandbox(c: Containerd): Promise<string> {
  const archive = await buildImages([pause]);
  await c.importImages(archive.path);
  const client = connectRuntime(c.endpoint, { timeoutMs: 60_000 });
  try {
    const { podSandboxId } = await client.runPodSandbox({
      config: {
        metadata: { name: 'harness', uid: 'harness-uid', namespace: 'harness' },
        linux: {},
      },
    });
    const { status } = await client.podSandboxStatus({ podSandboxId });
    expect(status?.state).toBe('SANDBOX_READY');
    expect(status?.network?.ip).toMatch(/^10\.88\./);
    return podSandboxId;
  } finally {
    client.close();
  }
}

const pauseProcesses = () =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes('/pause');
      } catch {
        return false;
      }
    });

function expectNothingLeft(c: Containerd, pausesBefore: string[]): void {
  expect(pauseProcesses().filter((p) => !pausesBefore.includes(p))).toEqual([]);
  expect(linkExists(c.bridge)).toBe(false);
  expect(mountsUnder(c.daemon.dir)).toEqual([]);
  expect(processesNaming(c.socket)).toEqual([]);
  expect(existsSync(c.daemon.dir)).toBe(false);
}

describe('containerd harness', () => {
  it('serves CRI with a pod network on its own bridge and leaves nothing behind on stop', async () => {
    const before = pauseProcesses();
    const c = await startContainerd({ sandboxImage: pause });
    try {
      await withSandbox(c);
      expect(linkExists(c.bridge)).toBe(true);
      expect(mountsUnder(c.daemon.dir).some((m) => m.includes('netns'))).toBe(true);
      expect(processesNaming(c.socket).length).toBeGreaterThan(0);
    } finally {
      await c.stop();
    }
    expectNothingLeft(c, before);
  });

  it('cleans up shims, network namespaces, mounts and the bridge after containerd was killed', async () => {
    const before = pauseProcesses();
    const c = await startContainerd({ sandboxImage: pause });
    try {
      await withSandbox(c);
      c.daemon.kill('SIGKILL');
    } finally {
      await c.stop();
    }
    expectNothingLeft(c, before);
  });
});
