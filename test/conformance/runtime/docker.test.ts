import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRuntime, type RuntimeClient } from '../../../sdk/runtime/client.ts';
import { buildImages } from '../../fixtures/images/index.ts';
import {
  type Dockerd,
  type DockerRuntimeProcess,
  freePodSubnet,
  startDockerd,
  startDockerRuntime,
} from '../../harness/dockerd.ts';
import { conformanceImage, runtimeConformance } from './suite.ts';

// The Docker adapter runs as its own process (`skiff runtime docker`) against a private dockerd.
runtimeConformance(
  'runtime-docker',
  async () => {
    const dockerd = await startDockerd();
    const dir = mkdtempSync(join(tmpdir(), 'skiff-docker-conf-'));
    try {
      const adapter = await startDockerRuntime(dockerd, join(dir, 'runtime.sock'), {
        subnet: freePodSubnet(),
      });
      return {
        endpoint: adapter.endpoint,
        importImage: async (tarPath) => {
          await dockerd.loadImages(tarPath);
        },
        teardown: async () => {
          await adapter.daemon.stop();
          await dockerd.stop();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      await dockerd.stop();
      throw err;
    }
  },
  { skiffAdapter: true },
);

describe('runtime-docker: a killed adapter loses nothing', () => {
  let dockerd: Dockerd;
  let adapter: DockerRuntimeProcess;
  let client: RuntimeClient;
  let dir: string;
  let socket: string;
  const subnet = freePodSubnet();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-docker-crash-'));
    socket = join(dir, 'runtime.sock');
    dockerd = await startDockerd();
    await dockerd.loadImages((await buildImages([conformanceImage])).path);
    adapter = await startDockerRuntime(dockerd, socket, { subnet });
    client = connectRuntime(adapter.endpoint, { timeoutMs: 30_000 });
  });
  afterAll(async () => {
    client?.close();
    await adapter?.daemon.stop();
    await dockerd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists every sandbox and container with the same ids and states after SIGKILL and restart', async () => {
    const logDirectory = join(dir, 'logs');
    mkdirSync(logDirectory);
    const sandboxIds: string[] = [];
    for (const name of ['a', 'b']) {
      const { podSandboxId } = await client.runPodSandbox({
        config: {
          metadata: { name, namespace: 'crash', uid: `uid-${name}`, attempt: 0 },
          logDirectory,
          labels: { pod: name },
        },
      });
      sandboxIds.push(podSandboxId);
    }
    const make = async (sandbox: string, name: string, command: string[]) =>
      (
        await client.createContainer({
          podSandboxId: sandbox,
          config: {
            metadata: { name, attempt: 0 },
            image: { image: conformanceImage },
            command,
            logPath: `${name}.log`,
          },
        })
      ).containerId;
    const running = await make(sandboxIds[0]!, 'running', ['sleep', '3600']);
    const exited = await make(sandboxIds[0]!, 'exited', ['sh', '-c', 'exit 3']);
    const created = await make(sandboxIds[1]!, 'created', ['sleep', '3600']);
    await client.startContainer({ containerId: running });
    await client.startContainer({ containerId: exited });
    await client.stopPodSandbox({ podSandboxId: sandboxIds[1]! });
    for (;;) {
      const s = await client.containerStatus({ containerId: exited });
      if (s.status?.state === 'CONTAINER_EXITED') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const sandboxesBefore = (await client.listPodSandbox({})).items;
    const containersBefore = (await client.listContainers({})).containers;
    expect(new Set(containersBefore.map((c) => c.id))).toEqual(new Set([running, exited, created]));

    adapter.daemon.kill('SIGKILL');
    adapter = await startDockerRuntime(dockerd, socket, { subnet });

    const sandboxesAfter = (await client.listPodSandbox({})).items;
    const containersAfter = (await client.listContainers({})).containers;
    const byId = <T extends { id: string }>(xs: T[]) =>
      [...xs].sort((x, y) => x.id.localeCompare(y.id));
    expect(byId(sandboxesAfter)).toEqual(byId(sandboxesBefore));
    expect(byId(containersAfter)).toEqual(byId(containersBefore));
    const states = Object.fromEntries(containersAfter.map((c) => [c.id, c.state]));
    expect(states).toEqual({
      [running]: 'CONTAINER_RUNNING',
      [exited]: 'CONTAINER_EXITED',
      [created]: 'CONTAINER_CREATED',
    });
    expect(Object.fromEntries(sandboxesAfter.map((s) => [s.id, s.state]))).toEqual({
      [sandboxIds[0]!]: 'SANDBOX_READY',
      [sandboxIds[1]!]: 'SANDBOX_NOTREADY',
    });
    expect((await client.containerStatus({ containerId: exited })).status?.exitCode).toBe(3);
    for (const id of sandboxIds) await client.removePodSandbox({ podSandboxId: id });
    expect((await client.listContainers({})).containers).toEqual([]);
  });
});
