import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcCode } from '../../sdk/errors.ts';
import { connectRuntime, type RuntimeClient } from '../../sdk/runtime/client.ts';
import { RuntimeCallError } from '../../sdk/runtime/grpc-status.ts';
import { type RuntimeServer, serveRuntime } from '../../sdk/runtime/server.ts';
import { SimRuntime, simOptions } from './adapter.ts';
import { imageId, normalizeImage } from './images.ts';

// The sim runtime is exercised over the real runtime.v1 wire, as an agent would call it.
const dir = mkdtempSync(join(tmpdir(), 'skiff-sim-rt-'));
let server: RuntimeServer;
let rt: RuntimeClient;

beforeAll(async () => {
  const endpoint = `unix://${join(dir, 'sim.sock')}`;
  server = await serveRuntime(new SimRuntime(simOptions({ execOutput: 'hello\n' })), {
    listen: endpoint,
  });
  rt = connectRuntime(endpoint);
  await rt.waitForReady(10_000);
});

afterAll(async () => {
  rt?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function code(p: Promise<unknown>): Promise<number> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof RuntimeCallError)) throw new Error(`expected a failed call, got ${err}`);
  return err.grpcCode;
}

const sandboxConfig = (name: string, labels: Record<string, string> = {}) => ({
  config: { metadata: { name, uid: `uid-${name}`, namespace: 'default', attempt: 0 }, labels },
});

describe('sim runtime', () => {
  it('reports its name, readiness and capabilities', async () => {
    const v = await rt.version({});
    expect(v.runtimeName).toBe('skiff-sim');
    const st = await rt.status({});
    expect(st.status?.conditions.map((c) => [c.type, c.status])).toEqual([
      ['RuntimeReady', true],
      ['NetworkReady', true],
    ]);
    expect(await rt.capabilities()).toMatchObject({ exec: true, streamingExec: false });
  });

  it('runs a sandbox with a container through its lifecycle', async () => {
    const { podSandboxId } = await rt.runPodSandbox(sandboxConfig('web', { app: 'web' }));
    const sb = await rt.podSandboxStatus({ podSandboxId });
    expect(sb.status?.state).toBe('SANDBOX_READY');
    expect(sb.status?.network?.ip).toMatch(/^10\.88\.0\.\d+$/);
    expect(sb.status?.metadata?.name).toBe('web');

    const { containerId } = await rt.createContainer({
      podSandboxId,
      config: { metadata: { name: 'c' }, image: { image: 'busybox' }, labels: { role: 'main' } },
    });
    expect((await rt.containerStatus({ containerId })).status?.state).toBe('CONTAINER_CREATED');
    await rt.startContainer({ containerId });
    const running = (await rt.containerStatus({ containerId })).status;
    expect(running?.state).toBe('CONTAINER_RUNNING');
    expect(BigInt(running?.startedAt ?? '0')).toBeGreaterThan(0n);

    const exec = await rt.execSync({ containerId, cmd: ['echo', 'x'], timeout: 5 });
    expect(exec.stdout.toString()).toBe('hello\n');
    expect(exec.exitCode).toBe(0);

    // A second start is refused: the container is no longer created.
    expect(await code(rt.startContainer({ containerId }))).toBe(grpcCode.FAILED_PRECONDITION);

    await rt.stopContainer({ containerId, timeout: 0 });
    const exited = (await rt.containerStatus({ containerId })).status;
    expect(exited?.state).toBe('CONTAINER_EXITED');
    expect(exited?.exitCode).toBe(0);
    expect(await code(rt.execSync({ containerId, cmd: ['true'] }))).toBe(
      grpcCode.FAILED_PRECONDITION,
    );

    // Stop and remove are idempotent.
    await rt.stopContainer({ containerId, timeout: 0 });
    await rt.removeContainer({ containerId });
    await rt.removeContainer({ containerId });
    expect(await code(rt.containerStatus({ containerId }))).toBe(grpcCode.NOT_FOUND);

    await rt.stopPodSandbox({ podSandboxId });
    expect((await rt.podSandboxStatus({ podSandboxId })).status?.state).toBe('SANDBOX_NOTREADY');
    await rt.removePodSandbox({ podSandboxId });
    await rt.removePodSandbox({ podSandboxId });
    await rt.stopPodSandbox({ podSandboxId });
    expect(await code(rt.podSandboxStatus({ podSandboxId }))).toBe(grpcCode.NOT_FOUND);
  });

  it('kills running containers when their sandbox stops and removes them with it', async () => {
    const { podSandboxId } = await rt.runPodSandbox(sandboxConfig('killed'));
    const { containerId } = await rt.createContainer({
      podSandboxId,
      config: { metadata: { name: 'c' }, image: { image: 'nginx:1.27' } },
    });
    await rt.startContainer({ containerId });
    await rt.stopPodSandbox({ podSandboxId });
    const st = (await rt.containerStatus({ containerId })).status;
    expect([st?.state, st?.exitCode, st?.reason]).toEqual(['CONTAINER_EXITED', 137, 'Killed']);
    expect(
      await code(
        rt.createContainer({
          podSandboxId,
          config: { metadata: { name: 'late' }, image: { image: 'nginx' } },
        }),
      ),
    ).toBe(grpcCode.FAILED_PRECONDITION);
    await rt.removePodSandbox({ podSandboxId });
    expect((await rt.listContainers({ filter: { podSandboxId } })).containers).toEqual([]);
  });

  it('filters sandboxes and containers by id prefix, state and labels', async () => {
    const a = (await rt.runPodSandbox(sandboxConfig('a', { tier: 'front' }))).podSandboxId;
    const b = (await rt.runPodSandbox(sandboxConfig('b', { tier: 'back' }))).podSandboxId;
    await rt.stopPodSandbox({ podSandboxId: b });
    const names = async (filter: object) =>
      (await rt.listPodSandbox({ filter })).items.map((s) => s.metadata?.name).sort();
    expect(await names({ labelSelector: { tier: 'front' } })).toEqual(['a']);
    expect(await names({ state: { state: 'SANDBOX_NOTREADY' } })).toEqual(['b']);
    expect(await names({ id: a.slice(0, 12) })).toEqual(['a']);
    // A short id prefix names the sandbox in status calls too.
    expect((await rt.podSandboxStatus({ podSandboxId: a.slice(0, 12) })).status?.id).toBe(a);

    const mk = async (name: string, start: boolean) => {
      const { containerId } = await rt.createContainer({
        podSandboxId: a,
        config: { metadata: { name }, image: { image: 'busybox' }, labels: { name } },
      });
      if (start) await rt.startContainer({ containerId });
      return containerId;
    };
    await mk('one', true);
    await mk('two', false);
    const cnames = async (filter: object) =>
      (await rt.listContainers({ filter })).containers.map((c) => c.metadata?.name).sort();
    expect(await cnames({ podSandboxId: a })).toEqual(['one', 'two']);
    expect(await cnames({ podSandboxId: a, state: { state: 'CONTAINER_RUNNING' } })).toEqual([
      'one',
    ]);
    expect(await cnames({ podSandboxId: a, labelSelector: { name: 'two' } })).toEqual(['two']);
    expect(await cnames({ podSandboxId: b })).toEqual([]);
    await rt.removePodSandbox({ podSandboxId: a });
    await rt.removePodSandbox({ podSandboxId: b });
  });

  it('refuses bad input and changes nothing', async () => {
    const before = (await rt.listPodSandbox({})).items.length;
    expect(
      await code(rt.runPodSandbox({ config: { metadata: { name: 'x', namespace: 'd' } } })),
    ).toBe(grpcCode.INVALID_ARGUMENT);
    expect((await rt.listPodSandbox({})).items.length).toBe(before);
    const { podSandboxId } = await rt.runPodSandbox(sandboxConfig('bad'));
    expect(
      await code(rt.createContainer({ podSandboxId, config: { metadata: { name: 'c' } } })),
    ).toBe(grpcCode.INVALID_ARGUMENT);
    expect(
      await code(
        rt.createContainer({
          podSandboxId: 'nope',
          config: { metadata: { name: 'c' }, image: { image: 'busybox' } },
        }),
      ),
    ).toBe(grpcCode.NOT_FOUND);
    expect((await rt.listContainers({ filter: { podSandboxId } })).containers).toEqual([]);
    expect(await code(rt.pullImage({ image: { image: '' } }))).toBe(grpcCode.INVALID_ARGUMENT);
    await rt.removePodSandbox({ podSandboxId });
  });

  it('records pulled images under their full names and removes them', async () => {
    const { imageRef } = await rt.pullImage({ image: { image: 'alpine' } });
    expect(imageRef).toBe(imageId('docker.io/library/alpine:latest'));
    // The same image named another way is the same record.
    await rt.pullImage({ image: { image: 'docker.io/library/alpine:latest' } });
    const listed = (await rt.listImages({})).images.filter((i) => i.id === imageRef);
    expect(listed.map((i) => i.repoTags)).toEqual([['docker.io/library/alpine:latest']]);
    expect((await rt.imageStatus({ image: { image: 'alpine:latest' } })).image?.id).toBe(imageRef);
    expect((await rt.listImages({ filter: { image: { image: 'alpine' } } })).images).toHaveLength(
      1,
    );
    await rt.removeImage({ image: { image: imageRef } });
    await rt.removeImage({ image: { image: 'alpine' } });
    expect((await rt.imageStatus({ image: { image: 'alpine' } })).image).toBeNull();
  });

  it('answers UNIMPLEMENTED for what it does not declare', async () => {
    expect(await code(rt.exec({ containerId: 'x', cmd: ['sh'] }))).toBe(grpcCode.UNIMPLEMENTED);
  });
});

describe('normalizeImage', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27'],
    ['user/app', 'docker.io/user/app:latest'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    ['registry.k8s.io/pause:3.10', 'registry.k8s.io/pause:3.10'],
    ['quay.io/a/b@sha256:abc', 'quay.io/a/b@sha256:abc'],
  ])('%s → %s', (ref, full) => {
    expect(normalizeImage(ref)).toBe(full);
  });
});

describe('simOptions', () => {
  it('fills defaults and refuses values of the wrong type', () => {
    expect(simOptions({})).toEqual({ execOutput: '', podCidrPrefix: '10.88.0' });
    expect(() => simOptions({ execOutput: 3 })).toThrow(/execOutput must be a string/);
    expect(() => simOptions({ podCidrPrefix: '10.0' })).toThrow(/three octets/);
  });
});
