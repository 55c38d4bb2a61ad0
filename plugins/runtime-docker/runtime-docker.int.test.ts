import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { grpcCode } from '../../sdk/errors.ts';
import { connectRuntime, type RuntimeClient } from '../../sdk/runtime/client.ts';
import type { RpcRequest } from '../../sdk/runtime/rpcs.ts';
import { type RuntimeServer, serveRuntime } from '../../sdk/runtime/server.ts';
import { buildImages } from '../../test/fixtures/images/index.ts';
import { type Dockerd, freePodSubnet, startDockerd } from '../../test/harness/dockerd.ts';
import { pushImage, type Registry, startRegistry } from '../../test/harness/registry.ts';
import { DockerRuntime, defaultDockerOptions } from './adapter.ts';
import { label } from './labels.ts';

let dockerd: Dockerd;
let registry: Registry;
let server: RuntimeServer;
let client: RuntimeClient;
let dir: string;
const busybox = 'skiff.local/busybox:1';
const subnet = freePodSubnet();
const subnetPrefix = subnet.split('.').slice(0, 2).join('.');

async function serve(): Promise<void> {
  const adapter = await DockerRuntime.start({
    ...defaultDockerOptions,
    dockerHost: dockerd.host,
    subnet,
  });
  server = await serveRuntime(adapter, {
    listen: `unix://${join(dir, 'docker.sock')}`,
    graceMs: 1000,
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-rt-docker-'));
  [dockerd, registry] = await Promise.all([startDockerd(), startRegistry()]);
  await dockerd.loadImages((await buildImages([busybox])).path);
  await serve();
  client = connectRuntime(`unix://${join(dir, 'docker.sock')}`, { timeoutMs: 60_000 });
});
afterAll(async () => {
  client?.close();
  await server?.close();
  await dockerd?.stop();
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let attempt = 0;
function sandboxConfig(
  name: string,
  extra: Partial<NonNullable<RpcRequest<'RunPodSandbox'>['config']>> = {},
) {
  attempt += 1;
  const logDirectory = join(dir, 'pods', `${name}-${attempt}`);
  mkdirSync(logDirectory, { recursive: true });
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}-${attempt}`, attempt: 0 },
    hostname: name,
    logDirectory,
    labels: { app: name },
    ...extra,
  };
}

async function codeOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return grpcCode.OK;
  } catch (err) {
    return (err as { grpcCode: number }).grpcCode;
  }
}

function session(
  url: string,
  protocol: string,
  onOpen: (ws: WebSocket) => void,
): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), [protocol]);
    const frames: Buffer[] = [];
    ws.on('message', (d: Buffer) => frames.push(Buffer.from(d)));
    ws.on('open', () => onOpen(ws));
    ws.on('close', () => resolve(frames));
    ws.on('error', reject);
    setTimeout(() => ws.terminate(), 10_000);
  });
}

function text(frames: Buffer[], channel: number): string {
  // Port-forward channels start with a two-byte port header frame; skip those.
  return frames
    .filter(
      (f) => f[0] === channel && !(f.length === 3 && channel <= 1 && f.readUInt16LE(1) === 8080),
    )
    .map((f) => f.subarray(1).toString())
    .join('');
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Docker adapter over runtime.v1', () => {
  it('builds the pause image and makes the pod network when they are absent, again if removed', async () => {
    const pauseBefore = await dockerd.docker.listImages({
      filters: { reference: ['skiff.local/pause:1'] },
    });
    expect(pauseBefore).toEqual([]);
    const first = await client.runPodSandbox({ config: sandboxConfig('first') });
    const pauseAfter = await dockerd.docker.listImages({
      filters: { reference: ['skiff.local/pause:1'] },
    });
    expect(pauseAfter).toHaveLength(1);
    const net = await dockerd.docker.getNetwork('skiff-pods').inspect();
    expect(net.IPAM?.Config?.[0]?.Subnet).toBe(subnet);
    await client.removePodSandbox({ podSandboxId: first.podSandboxId });
    await dockerd.docker.getNetwork('skiff-pods').remove();
    const second = await client.runPodSandbox({ config: sandboxConfig('second') });
    const status = await client.podSandboxStatus({ podSandboxId: second.podSandboxId });
    expect(status.status?.network?.ip?.startsWith(`${subnetPrefix}.`)).toBe(true);
    await client.removePodSandbox({ podSandboxId: second.podSandboxId });
  });

  it('runs a sandbox with a pod IP, hostname and DNS, and a container that logs in CRI format', async () => {
    const config = sandboxConfig('web', {
      dnsConfig: {
        servers: ['10.96.0.10'],
        searches: ['default.svc.cluster.local'],
        options: ['ndots:5'],
      },
    });
    const { podSandboxId } = await client.runPodSandbox({ config });
    const status = await client.podSandboxStatus({ podSandboxId });
    expect(status.status?.state).toBe('SANDBOX_READY');
    expect(status.status?.network?.ip?.startsWith(`${subnetPrefix}.`)).toBe(true);
    expect(status.status?.labels).toEqual({ app: 'web' });
    const { containerId } = await client.createContainer({
      podSandboxId,
      config: {
        metadata: { name: 'main', attempt: 0 },
        image: { image: busybox },
        command: ['sh', '-c'],
        args: ['echo out-line; echo err-line >&2; hostname; cat /etc/resolv.conf; sleep 3600'],
        envs: [{ key: 'GREETING', value: 'hello' }],
        logPath: 'main/0.log',
        labels: { role: 'main' },
      },
      sandboxConfig: config,
    });
    await client.startContainer({ containerId });
    const logPath = join(config.logDirectory, 'main/0.log');
    const log = await waitFor('the log lines', async () => {
      const text = (() => {
        try {
          return readFileSync(logPath, 'utf8');
        } catch {
          return '';
        }
      })();
      return text.includes('ndots') ? text : undefined;
    });
    const lines = log.trim().split('\n');
    for (const line of lines)
      expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) F /);
    expect(lines).toContainEqual(expect.stringMatching(/ stdout F out-line$/));
    expect(lines).toContainEqual(expect.stringMatching(/ stderr F err-line$/));
    expect(lines).toContainEqual(expect.stringMatching(/ stdout F web$/));
    expect(lines).toContainEqual(expect.stringMatching(/ stdout F nameserver 10\.96\.0\.10$/));
    const exec = await client.execSync({
      containerId,
      cmd: ['sh', '-c', 'echo $GREETING; exit 3'],
      timeout: 10,
    });
    expect(exec.stdout.toString()).toBe('hello\n');
    expect(exec.exitCode).toBe(3);
    const st = await client.containerStatus({ containerId });
    expect(st.status?.state).toBe('CONTAINER_RUNNING');
    expect(st.status?.logPath).toBe(logPath);
    expect(BigInt(st.status?.startedAt ?? 0)).toBeGreaterThan(0n);
    const stats = await client.containerStats({ containerId });
    expect(BigInt(stats.stats?.memory?.workingSetBytes?.value ?? 0)).toBeGreaterThan(0n);
    const list = await client.listContainers({ filter: { labelSelector: { role: 'main' } } });
    expect(list.containers.map((c) => c.id)).toEqual([containerId]);
    await client.stopContainer({ containerId, timeout: 2 });
    await client.stopContainer({ containerId, timeout: 2 });
    const stopped = await client.containerStatus({ containerId });
    expect(stopped.status?.state).toBe('CONTAINER_EXITED');
    expect(stopped.status?.exitCode).toBe(137);
    await client.stopPodSandbox({ podSandboxId });
    await client.removePodSandbox({ podSandboxId });
    await client.removePodSandbox({ podSandboxId });
    expect(await codeOf(client.containerStatus({ containerId }))).toBe(grpcCode.NOT_FOUND);
  });

  it('applies CPU and memory limits', async () => {
    const config = sandboxConfig('limits');
    const { podSandboxId } = await client.runPodSandbox({ config });
    const { containerId } = await client.createContainer({
      podSandboxId,
      config: {
        metadata: { name: 'c', attempt: 0 },
        image: { image: busybox },
        command: ['sleep', '3600'],
        linux: {
          resources: {
            cpuShares: 512,
            cpuQuota: 50_000,
            cpuPeriod: 100_000,
            memoryLimitInBytes: 64 * 1024 * 1024,
          },
        },
      },
      sandboxConfig: config,
    });
    const info = await dockerd.docker.getContainer(containerId).inspect();
    expect(info.HostConfig).toMatchObject({
      CpuShares: 512,
      CpuQuota: 50_000,
      CpuPeriod: 100_000,
      Memory: 64 * 1024 * 1024,
    });
    expect(info.HostConfig.NetworkMode).toBe(`container:${podSandboxId}`);
    await client.startContainer({ containerId });
    const { stats } = await client.podSandboxStats({ podSandboxId });
    expect(stats?.attributes?.id).toBe(podSandboxId);
    expect(stats?.linux?.containers.map((c) => c.attributes?.id)).toEqual([containerId]);
    expect(BigInt(stats?.linux?.memory?.workingSetBytes?.value ?? 0)).toBeGreaterThan(0n);
    const listed = await client.listPodSandboxStats({
      filter: { labelSelector: { app: 'limits' } },
    });
    expect(listed.stats.map((s) => s.attributes?.id)).toEqual([podSandboxId]);
    await client.removePodSandbox({ podSandboxId });
  });

  it('answers bad input with the right code and creates nothing', async () => {
    const before = (await dockerd.docker.listContainers({ all: true })).length;
    const unknown = 'f'.repeat(64);
    expect(await codeOf(client.podSandboxStatus({ podSandboxId: unknown }))).toBe(
      grpcCode.NOT_FOUND,
    );
    expect(await codeOf(client.containerStatus({ containerId: 'nope' }))).toBe(grpcCode.NOT_FOUND);
    expect(await codeOf(client.stopContainer({ containerId: unknown }))).toBe(grpcCode.NOT_FOUND);
    expect(await codeOf(client.removeContainer({ containerId: unknown }))).toBe(grpcCode.OK);
    expect(await codeOf(client.runPodSandbox({ config: { metadata: { name: '' } } }))).toBe(
      grpcCode.INVALID_ARGUMENT,
    );
    const config = sandboxConfig('bad');
    const { podSandboxId } = await client.runPodSandbox({ config });
    const afterSandbox = (await dockerd.docker.listContainers({ all: true })).length;
    const create = (extra: object) =>
      client.createContainer({
        podSandboxId,
        config: { metadata: { name: 'x', attempt: 0 }, image: { image: busybox }, ...extra },
        sandboxConfig: config,
      });
    expect(await codeOf(create({ image: { image: '' } }))).toBe(grpcCode.INVALID_ARGUMENT);
    expect(await codeOf(create({ mounts: [{ containerPath: 'relative', hostPath: dir }] }))).toBe(
      grpcCode.INVALID_ARGUMENT,
    );
    expect(
      await codeOf(
        create({ mounts: [{ containerPath: '/data', hostPath: join(dir, 'missing') }] }),
      ),
    ).toBe(grpcCode.INVALID_ARGUMENT);
    expect(await codeOf(create({ image: { image: 'skiff.local/absent:1' } }))).toBe(
      grpcCode.NOT_FOUND,
    );
    expect(
      await codeOf(
        client.createContainer({
          podSandboxId: unknown,
          config: { metadata: { name: 'x' }, image: { image: busybox } },
        }),
      ),
    ).toBe(grpcCode.NOT_FOUND);
    expect((await dockerd.docker.listContainers({ all: true })).length).toBe(afterSandbox);
    expect(afterSandbox).toBe(before + 1);
    await client.removePodSandbox({ podSandboxId });
  });

  it('mounts host paths, read-only when asked', async () => {
    const host = join(dir, 'vol');
    mkdirSync(host, { recursive: true });
    writeFileSync(join(host, 'f'), 'from-host');
    const config = sandboxConfig('mounts');
    const { podSandboxId } = await client.runPodSandbox({ config });
    const { containerId } = await client.createContainer({
      podSandboxId,
      config: {
        metadata: { name: 'm', attempt: 0 },
        image: { image: busybox },
        command: ['sleep', '3600'],
        mounts: [
          { containerPath: '/ro', hostPath: host, readonly: true },
          { containerPath: '/rw', hostPath: host },
        ],
      },
      sandboxConfig: config,
    });
    await client.startContainer({ containerId });
    const r = await client.execSync({
      containerId,
      cmd: ['sh', '-c', 'cat /ro/f; touch /ro/x || echo ro-refused; touch /rw/y && echo rw-ok'],
      timeout: 10,
    });
    expect(r.stdout.toString()).toBe('from-hostro-refused\nrw-ok\n');
    await client.removePodSandbox({ podSandboxId });
  });

  it('pulls from a registry on 127.0.0.1, lists, reports and removes images', async () => {
    const archive = await buildImages([busybox]);
    const ref = `${registry.address}/skiff/pulled:1`;
    await pushImage(archive.path, ref);
    const { imageRef } = await client.pullImage({ image: { image: ref } });
    expect(imageRef).toBe(archive.images[0]?.id);
    const status = await client.imageStatus({ image: { image: ref } });
    expect(status.image?.repoTags).toContain(ref);
    const list = await client.listImages({});
    expect(list.images.some((i) => i.repoTags.includes(ref))).toBe(true);
    const fs = await client.imageFsInfo({});
    expect(BigInt(fs.imageFilesystems[0]?.usedBytes?.value ?? 0)).toBeGreaterThan(0n);
    await client.removeImage({ image: { image: ref } });
    await client.removeImage({ image: { image: ref } });
    expect((await client.imageStatus({ image: { image: ref } })).image).toBeNull();
    expect(
      await codeOf(client.pullImage({ image: { image: `${registry.address}/skiff/absent:1` } })),
    ).toBe(grpcCode.NOT_FOUND);
    expect(await codeOf(client.pullImage({ image: { image: '' } }))).toBe(
      grpcCode.INVALID_ARGUMENT,
    );
  });

  it('serves Exec and PortForward through the streaming server', async () => {
    const config = sandboxConfig('stream');
    const { podSandboxId } = await client.runPodSandbox({ config });
    const { containerId } = await client.createContainer({
      podSandboxId,
      config: {
        metadata: { name: 'web', attempt: 0 },
        image: { image: busybox },
        command: [
          'sh',
          '-c',
          'mkdir -p /www && echo served > /www/index.html && httpd -f -p 8080 -h /www',
        ],
      },
      sandboxConfig: config,
    });
    await client.startContainer({ containerId });
    const { url } = await client.exec({
      containerId,
      cmd: ['sh', '-c', 'cat; echo err >&2; exit 4'],
      stdin: true,
      stdout: true,
      stderr: true,
    });
    const frames = await session(url, 'v5.channel.k8s.io', (ws) => {
      ws.send(Buffer.from([0, ...Buffer.from('typed\n')]));
      ws.send(Buffer.from([255, 0]));
    });
    expect(text(frames, 1)).toBe('typed\n');
    expect(text(frames, 2)).toBe('err\n');
    expect(JSON.parse(text(frames, 3))).toMatchObject({
      reason: 'NonZeroExitCode',
      details: { causes: [{ message: '4' }] },
    });
    const pf = await client.portForward({ podSandboxId, port: [8080] });
    const got = await waitFor('the forwarded page', async () => {
      const f = await session(pf.url, 'v4.channel.k8s.io', (ws) => {
        let n = 0;
        ws.on('message', (d: Buffer) => {
          n += 1;
          if (n === 2)
            ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('GET / HTTP/1.0\r\n\r\n')]));
          if (d[0] === 0 && d.toString().includes('served')) ws.close();
        });
      });
      const body = text(f, 0);
      return body.includes('served') ? body : undefined;
    });
    expect(got).toContain('200 OK');
    expect(
      await codeOf(client.exec({ containerId: 'f'.repeat(64), cmd: ['true'], stdout: true })),
    ).toBe(grpcCode.NOT_FOUND);
    await client.removePodSandbox({ podSandboxId });
  });

  it('serves Attach: stdin reaches the main process and its output comes back', async () => {
    const config = sandboxConfig('attach');
    const { podSandboxId } = await client.runPodSandbox({ config });
    const { containerId } = await client.createContainer({
      podSandboxId,
      config: {
        metadata: { name: 'cat', attempt: 0 },
        image: { image: busybox },
        command: ['cat'],
        stdin: true,
      },
      sandboxConfig: config,
    });
    await client.startContainer({ containerId });
    const { url } = await client.attach({ containerId, stdin: true, stdout: true, stderr: true });
    const frames = await session(url, 'v5.channel.k8s.io', (ws) => {
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('echoed back\n')]));
      ws.on('message', (d: Buffer) => {
        if (d[0] === 1 && d.toString().includes('echoed back')) ws.close();
      });
    });
    expect(text(frames, 1)).toBe('echoed back\n');
    await client.removePodSandbox({ podSandboxId });
  });

  it('a new adapter sees every sandbox and container from Docker labels alone, and keeps logging', async () => {
    const config = sandboxConfig('survivor');
    const { podSandboxId } = await client.runPodSandbox({ config });
    const { containerId } = await client.createContainer({
      podSandboxId,
      config: {
        metadata: { name: 'ticker', attempt: 0 },
        image: { image: busybox },
        command: ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.2; done'],
        logPath: 'ticker.log',
      },
      sandboxConfig: config,
    });
    await client.startContainer({ containerId });
    const before = await client.listContainers({});
    await server.close();
    await serve();
    const after = await client.listContainers({});
    expect(after.containers).toEqual(before.containers);
    expect((await client.listPodSandbox({ filter: { id: podSandboxId } })).items[0]?.state).toBe(
      'SANDBOX_READY',
    );
    const logPath = join(config.logDirectory, 'ticker.log');
    const ticks = await waitFor('ticks after the restart', async () => {
      const nums = readFileSync(logPath, 'utf8')
        .trim()
        .split('\n')
        .map((l) => Number(/tick (\d+)$/.exec(l)?.[1]));
      return nums.length > 15 ? nums : undefined;
    });
    // Every tick exactly once and in order: nothing lost or repeated across the restart.
    expect(ticks).toEqual(ticks.map((_, i) => i + 1));
    // Rotation: the file is renamed, ReopenContainerLog starts a fresh one, the old one stops.
    renameSync(logPath, `${logPath}.1`);
    await client.reopenContainerLog({ containerId });
    const rotatedSize = statSync(`${logPath}.1`).size;
    const fresh = await waitFor('ticks in the fresh file', async () => {
      const nums = readFileSync(logPath, 'utf8')
        .trim()
        .split('\n')
        .map((l) => Number(/tick (\d+)$/.exec(l)?.[1]));
      return nums.length > 3 ? nums : undefined;
    });
    const lastRotated = Number(/tick (\d+)\n$/.exec(readFileSync(`${logPath}.1`, 'utf8'))?.[1]);
    // The fresh file carries on exactly where the rotated one stops.
    expect(fresh[0]).toBe(lastRotated + 1);
    expect(statSync(`${logPath}.1`).size).toBe(rotatedSize);
    const info = await dockerd.docker.getContainer(containerId).inspect();
    expect(info.Config.Labels?.[label.sandboxId]).toBe(podSandboxId);
    await client.removePodSandbox({ podSandboxId });
  });
});
