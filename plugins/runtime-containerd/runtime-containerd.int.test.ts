import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { ContainerdClient } from './client.ts';
import { snapshotter } from './content.ts';

const busybox = 'skiff.local/busybox:1';
const namespace = 'skiff-int';

describe('runtime-containerd over a private containerd', () => {
  let containerd: NativeContainerd;
  let dir: string;
  let server: RuntimeServer | undefined;
  let client: RuntimeClient;
  let inspect: ContainerdClient;
  const suffix = Math.random().toString(36).slice(2, 7);
  const bridge = `skctd${suffix}`;
  const subnet = `10.89.${100 + Math.floor(Math.random() * 150)}.0/24`;

  const serve = async () => {
    const adapter = await ContainerdRuntime.start(
      containerdOptions({ socket: containerd.socket, namespace, dataDir: dir, bridge, subnet }),
    );
    server = await serveRuntime(adapter, { listen: `unix://${join(dir, 'runtime.sock')}` });
  };

  const leftovers = async () => ({
    containers: (await inspect.call<{ containers: unknown[] }>('containers', 'List', {})).containers
      .length,
    tasks: (await inspect.call<{ tasks: unknown[] }>('tasks', 'List', {})).tasks.length,
    leases: (await inspect.call<{ leases: unknown[] }>('leases', 'List', {})).leases.length,
    snapshots: (
      await inspect.collect<{ info: { kind: string }[] }>('snapshots', 'List', { snapshotter })
    )
      .flatMap((m) => m.info)
      .filter((i) => i.kind !== 'COMMITTED').length,
    netns: readdirNetns().length,
  });
  const readdirNetns = () => {
    try {
      return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.startsWith('skiff-'));
    } catch {
      return [];
    }
  };
  const netnsBefore = readdirNetns();
  /** shimsServing counts the shim processes started for a task id. */
  const shimsServing = (taskId: string) =>
    readdirSync('/proc')
      .filter((pid) => /^\d+$/.test(pid))
      .map((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        } catch {
          return [];
        }
      })
      .filter(
        (args) =>
          args[0]?.endsWith('containerd-shim-runc-v2') && args[args.indexOf('-id') + 1] === taskId,
      ).length;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-ctrd-int-'));
    containerd = await startNativeContainerd();
    inspect = new ContainerdClient(containerd.socket, namespace);
    await serve();
    client = connectRuntime(`unix://${join(dir, 'runtime.sock')}`, { timeoutMs: 60_000 });
    const adapter = await ContainerdRuntime.start(
      containerdOptions({ socket: containerd.socket, namespace, dataDir: dir }),
      undefined,
      true,
    );
    await adapter.importImages((await buildImages([busybox])).path);
    await adapter.close();
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
      inspect?.close();
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

  const pod = async (name: string) => {
    const config = {
      metadata: { name, namespace: 'int', uid: `uid-${name}`, attempt: 0 },
      hostname: `host-${name}`,
      logDirectory: join(dir, 'logs', name),
      dnsConfig: { servers: ['10.0.0.10'], searches: ['svc.example.test'], options: ['ndots:5'] },
      labels: { app: name },
    };
    const { podSandboxId } = await client.runPodSandbox({ config });
    return { id: podSandboxId, config };
  };
  const container = async (p: Awaited<ReturnType<typeof pod>>, name: string, command: string[]) =>
    (
      await client.createContainer({
        podSandboxId: p.id,
        config: {
          metadata: { name, attempt: 0 },
          image: { image: busybox },
          command,
          envs: [{ key: 'GREETING', value: 'hi' }],
          logPath: `${name}.log`,
        },
        sandboxConfig: p.config,
      })
    ).containerId;
  const waitExited = async (id: string) => {
    for (;;) {
      const s = (await client.containerStatus({ containerId: id })).status;
      if (s?.state === 'CONTAINER_EXITED') return s;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('reports ready, and runs a pod whose container exits with its code and logs in CRI format', async () => {
    const { status } = await client.status({});
    expect(status?.conditions.map((c) => [c.type, c.status])).toEqual([
      ['RuntimeReady', true],
      ['NetworkReady', true],
    ]);
    const p = await pod('exit');
    const s = (await client.podSandboxStatus({ podSandboxId: p.id })).status;
    expect(s?.state).toBe('SANDBOX_READY');
    expect(s?.network?.ip).toMatch(new RegExp(`^${subnet.split('.').slice(0, 3).join('\\.')}\\.`));
    const id = await container(p, 'exiter', ['sh', '-c', 'echo to-out; echo to-err >&2; exit 3']);
    expect((await client.containerStatus({ containerId: id })).status?.state).toBe(
      'CONTAINER_CREATED',
    );
    await client.startContainer({ containerId: id });
    const exited = await waitExited(id);
    expect(exited.exitCode).toBe(3);
    // The exit event makes the adapter record the code and delete the task with its shim.
    const taskGone = async () => {
      for (let i = 0; i < 100; i++) {
        const r = await inspect.call('tasks', 'Get', { containerId: id }).catch(() => undefined);
        if (!r) return true;
        await new Promise((r) => setTimeout(r, 100));
      }
      return false;
    };
    expect(await taskGone()).toBe(true);
    expect((await client.containerStatus({ containerId: id })).status?.exitCode).toBe(3);
    expect(BigInt(exited.finishedAt)).toBeGreaterThanOrEqual(BigInt(exited.startedAt));
    const lines = readFileSync(join(p.config.logDirectory, 'exiter.log'), 'utf8')
      .trim()
      .split('\n');
    expect(lines.map((l) => l.split(' ').slice(1).join(' ')).sort()).toEqual([
      'stderr F to-err',
      'stdout F to-out',
    ]);
    expect(Number.isNaN(Date.parse(lines[0]?.split(' ')[0] ?? ''))).toBe(false);
    await client.stopPodSandbox({ podSandboxId: p.id });
    expect((await client.podSandboxStatus({ podSandboxId: p.id })).status?.state).toBe(
      'SANDBOX_NOTREADY',
    );
    await client.removePodSandbox({ podSandboxId: p.id });
    await client.removePodSandbox({ podSandboxId: p.id });
    expect(await leftovers()).toEqual({
      containers: 0,
      tasks: 0,
      leases: 0,
      snapshots: 0,
      netns: netnsBefore.length,
    });
  });

  it('execs in a running container with its env, hostname and DNS; stops it after the grace period', async () => {
    const p = await pod('exec');
    const id = (
      await client.createContainer({
        podSandboxId: p.id,
        config: {
          metadata: { name: 'sleeper', attempt: 0 },
          image: { image: busybox },
          command: ['sleep', '3600'],
          envs: [{ key: 'GREETING', value: 'hi' }],
          linux: { resources: { memoryLimitInBytes: String(64 * 1024 * 1024) } },
        },
        sandboxConfig: p.config,
      })
    ).containerId;
    await client.startContainer({ containerId: id });
    // The container's task runs in the shim its pod's infra task started, as containerd's CRI
    // arranges it: one shim process per pod.
    expect({ pod: shimsServing(p.id), container: shimsServing(id) }).toEqual({
      pod: 1,
      container: 0,
    });
    const sh = async (script: string) => {
      const r = await client.execSync({ containerId: id, cmd: ['sh', '-c', script], timeout: 10 });
      return { out: r.stdout.toString(), err: r.stderr.toString(), code: r.exitCode };
    };
    expect(await sh('echo $GREETING; echo oops >&2; exit 4')).toEqual({
      out: 'hi\n',
      err: 'oops\n',
      code: 4,
    });
    expect((await sh('hostname')).out).toBe('host-exec\n');
    expect((await sh('cat /etc/resolv.conf')).out).toMatch(/^nameserver 10\.0\.0\.10$/m);
    const slow = await client
      .execSync({ containerId: id, cmd: ['sleep', '30'], timeout: 1 })
      .catch((e: { grpcCode?: number }) => e);
    expect((slow as { grpcCode?: number }).grpcCode, String(slow)).toBe(grpcCode.DEADLINE_EXCEEDED);
    // The cgroup limits from CreateContainer, then from UpdateContainerResources, as the
    // container sees them.
    const memoryLimit = async () =>
      Number((await sh('cat /sys/fs/cgroup/memory/memory.limit_in_bytes')).out.trim());
    expect(await memoryLimit()).toBe(64 * 1024 * 1024);
    await client.updateContainerResources({
      containerId: id,
      linux: {
        memoryLimitInBytes: String(96 * 1024 * 1024),
        cpuQuota: '20000',
        cpuPeriod: '100000',
      },
    });
    expect(await memoryLimit()).toBe(96 * 1024 * 1024);
    expect((await sh('cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us')).out.trim()).toBe('20000');
    // sleep as PID 1 has no SIGTERM handler, so only the kill after the grace ends it.
    await client.stopContainer({ containerId: id, timeout: 1 });
    expect((await client.containerStatus({ containerId: id })).status).toMatchObject({
      state: 'CONTAINER_EXITED',
      exitCode: 137,
    });
    await client.stopContainer({ containerId: id, timeout: 1 });
    await client.removePodSandbox({ podSandboxId: p.id });
    expect(await leftovers()).toEqual({
      containers: 0,
      tasks: 0,
      leases: 0,
      snapshots: 0,
      netns: netnsBefore.length,
    });
  });

  it('refuses bad input with the right code and leaves nothing behind', async () => {
    const p = await pod('bad');
    const before = await leftovers();
    const code = (e: unknown) => (e as { grpcCode?: number }).grpcCode;
    const fail = (x: Promise<unknown>) =>
      x.then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(
      code(await fail(client.runPodSandbox({ config: { ...p.config, metadata: null } }))),
    ).toBe(grpcCode.INVALID_ARGUMENT);
    expect(code(await fail(client.runPodSandbox({ config: p.config })))).toBe(
      grpcCode.ALREADY_EXISTS,
    );
    expect(
      code(
        await fail(
          client.createContainer({
            podSandboxId: 'no-such-sandbox',
            config: { metadata: { name: 'x' }, image: { image: busybox }, command: ['true'] },
          }),
        ),
      ),
    ).toBe(grpcCode.NOT_FOUND);
    expect(
      code(
        await fail(
          client.createContainer({
            podSandboxId: p.id,
            config: {
              metadata: { name: 'x' },
              image: { image: 'skiff.local/absent:1' },
              command: ['true'],
            },
          }),
        ),
      ),
    ).toBe(grpcCode.NOT_FOUND);
    expect(code(await fail(client.startContainer({ containerId: 'no-such-container' })))).toBe(
      grpcCode.NOT_FOUND,
    );
    expect(code(await fail(client.podSandboxStatus({ podSandboxId: 'no-such-sandbox' })))).toBe(
      grpcCode.NOT_FOUND,
    );
    await client.removeContainer({ containerId: 'no-such-container' });
    expect(await leftovers()).toEqual(before);
    // A command that does not exist fails the start; the task and its FIFOs go with it.
    const broken = await container(p, 'broken', ['/no/such/binary']);
    expect(code(await fail(client.startContainer({ containerId: broken })))).not.toBe(undefined);
    expect(existsSync(join(dir, 'io', broken))).toBe(false);
    await client.removeContainer({ containerId: broken });
    expect(await leftovers()).toEqual(before);
    await client.removePodSandbox({ podSandboxId: p.id });
  });

  it('recovers running containers and their logs after the adapter restarts', async () => {
    const p = await pod('restart');
    const id = await container(p, 'ticker', [
      'sh',
      '-c',
      'echo before; sleep 2; echo after; exit 5',
    ]);
    await client.startContainer({ containerId: id });
    await server?.close();
    server = undefined;
    await serve();
    expect(
      (await client.listContainers({ filter: { podSandboxId: p.id } })).containers.map((c) => [
        c.id,
        c.state,
      ]),
    ).toEqual([[id, 'CONTAINER_RUNNING']]);
    const exited = await waitExited(id);
    expect(exited.exitCode).toBe(5);
    const log = readFileSync(join(p.config.logDirectory, 'ticker.log'), 'utf8');
    expect(log).toMatch(/ stdout F before\n/);
    expect(log).toMatch(/ stdout F after\n/);
    await client.removePodSandbox({ podSandboxId: p.id });
    expect(existsSync(join(dir, 'pods', p.id))).toBe(false);
  });
});
