import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRuntime, type RuntimeClient } from '../../sdk/runtime/client.ts';
import { type Daemon, startDaemon } from '../harness/daemon.ts';

// `skiff runtime sim` as its own process: the built-in plugin loads by name and serves
// runtime.v1 on a unix socket, with an option from the command line.

const root = join(import.meta.dirname, '..', '..');
let daemon: Daemon;
let rt: RuntimeClient;

beforeAll(async () => {
  daemon = await startDaemon({
    name: 'skiff-runtime-sim',
    command: process.execPath,
    args: (dir) => [
      join(root, 'core/cli/skiff.mjs'),
      'runtime',
      'sim',
      '--listen',
      `unix://${join(dir, 'sim.sock')}`,
      '-o',
      'execOutput=from the sim',
    ],
    ready: async (dir) => existsSync(join(dir, 'sim.sock')),
    readyTimeoutMs: 60_000,
  });
  rt = connectRuntime(`unix://${join(daemon.dir, 'sim.sock')}`);
  await rt.waitForReady(30_000);
});

afterAll(async () => {
  rt?.close();
  await daemon?.stop();
});

describe('skiff runtime sim', () => {
  it('serves a sandbox and a running container and answers exec with the configured text', async () => {
    expect((await rt.version({})).runtimeName).toBe('skiff-sim');
    const { podSandboxId } = await rt.runPodSandbox({
      config: { metadata: { name: 'p', uid: 'u1', namespace: 'default' } },
    });
    const { imageRef } = await rt.pullImage({ image: { image: 'busybox' } });
    const { containerId } = await rt.createContainer({
      podSandboxId,
      config: { metadata: { name: 'c' }, image: { image: 'busybox' } },
    });
    await rt.startContainer({ containerId });
    const st = (await rt.containerStatus({ containerId })).status;
    expect([st?.state, st?.imageRef]).toEqual(['CONTAINER_RUNNING', imageRef]);
    const exec = await rt.execSync({ containerId, cmd: ['hostname'], timeout: 5 });
    expect(exec.stdout.toString()).toBe('from the sim');
    expect((await rt.listPodSandbox({})).items.map((s) => s.id)).toEqual([podSandboxId]);
  });
});
