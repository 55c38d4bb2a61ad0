import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../../sdk/errors.ts';
import type { RpcRequestReceived, RpcResponse } from '../../sdk/runtime/rpcs.ts';
import { GuestChannel, type ProcessExit } from './channel.ts';
import { type LiveVm, type RuntimeContext, sandboxOf, shareDir } from './context.ts';
import { unmountUnder } from './mounts.ts';
import { killProcesses, type ProcessRecord, readProcesses, strayProcesses } from './processes.ts';
import {
  type ContainerRecord,
  matchesLabels,
  newId,
  nowNanos,
  type SandboxConfig,
  type SandboxRecord,
} from './state.ts';
import { launchVm, stopVm, type Vm, vmPaths, vmSize } from './vm.ts';

type SandboxMessage = NonNullable<RpcResponse<'PodSandboxStatus'>['status']>;

function writePodFiles(dir: string, config: SandboxConfig, hostname: string, ip: string): void {
  mkdirSync(dir, { recursive: true });
  const dns = config.dnsConfig;
  if (dns && (dns.servers.length || dns.searches.length || dns.options.length)) {
    const lines = [
      ...dns.servers.map((s) => `nameserver ${s}`),
      ...(dns.searches.length ? [`search ${dns.searches.join(' ')}`] : []),
      ...(dns.options.length ? [`options ${dns.options.join(' ')}`] : []),
    ];
    writeFileSync(join(dir, 'resolv.conf'), `${lines.join('\n')}\n`);
  } else {
    copyFileSync('/etc/resolv.conf', join(dir, 'resolv.conf'));
  }
  writeFileSync(join(dir, 'hosts'), `127.0.0.1\tlocalhost\n${ip}\t${hostname}\n`);
}

/** finishContainer records a container's end, closes its log and wakes whoever waits for it. */
export function finishContainer(
  ctx: RuntimeContext,
  c: ContainerRecord,
  exit: ProcessExit,
  reason: string,
  message = '',
): void {
  const live = ctx.live.get(c.sandboxId);
  live?.logs.get(c.id)?.close();
  live?.logs.delete(c.id);
  live?.exits.get(c.id)?.resolve(exit);
  if (c.state === 'CONTAINER_EXITED') return;
  const now = nowNanos();
  ctx.records.saveContainer({
    ...c,
    state: 'CONTAINER_EXITED',
    startedAt: c.startedAt || (c.state === 'CONTAINER_RUNNING' ? now : ''),
    finishedAt: now,
    exitCode: exit.exitCode,
    reason: exit.signal === 9 ? 'Killed' : reason,
    message,
  });
}

// The VM is gone (stopped, crashed or lost with an adapter): whatever ran in it has ended.
function endContainers(ctx: RuntimeContext, sandboxId: string, message: string): void {
  for (const c of ctx.records.containersOf(sandboxId)) {
    if (c.state === 'CONTAINER_RUNNING') {
      finishContainer(ctx, c, { exitCode: 137, signal: 9, timedOut: false }, 'Killed', message);
    }
  }
}

function listen(ctx: RuntimeContext, sandboxId: string, live: LiveVm): void {
  const byGuestName = (name: string) =>
    ctx.records.containersOf(sandboxId).find((c) => c.guestName === name);
  live.channel.on('output', (name, stream, data) => {
    const c = byGuestName(name);
    if (c) live.logs.get(c.id)?.write(stream, data);
  });
  live.channel.on('exit', (name, exit) => {
    const c = byGuestName(name);
    if (c) finishContainer(ctx, c, exit, exit.exitCode === 0 ? 'Completed' : 'Error');
  });
  live.vm.exited.then(() => {
    if (live.stopping || ctx.live.get(sandboxId) !== live) return;
    ctx.logger?.warn('a sandbox VM ended by itself', { sandboxId });
    ctx.live.delete(sandboxId);
    live.channel.close().catch(() => {});
    endContainers(ctx, sandboxId, 'the VM ended');
    const s = ctx.records.sandboxes.get(sandboxId);
    if (s) ctx.records.saveSandbox({ ...s, state: 'SANDBOX_NOTREADY' });
  });
}

function checkConfig(ctx: RuntimeContext, config: SandboxConfig | null | undefined): SandboxConfig {
  const m = config?.metadata;
  if (!config || !m) throw new SkiffError('Invalid', 'pod sandbox config has no metadata');
  if (!m.name) throw new SkiffError('Invalid', 'pod sandbox metadata has no name');
  // The hostname travels on the guest's kernel command line: only a DNS name fits there.
  const hostname = config.hostname || m.name;
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(hostname)) {
    throw new SkiffError('Invalid', `pod hostname ${JSON.stringify(hostname)} is not a DNS name`);
  }
  const clash = [...ctx.records.sandboxes.values()].find((s) => {
    const o = s.config.metadata;
    return (
      o?.name === m.name &&
      o?.namespace === m.namespace &&
      o?.uid === m.uid &&
      o?.attempt === m.attempt
    );
  });
  if (clash) {
    throw new SkiffError(
      'AlreadyExists',
      `pod sandbox ${m.namespace}/${m.name} attempt ${m.attempt} exists as ${clash.id}`,
    );
  }
  return config;
}

/** runPodSandbox boots the sandbox's VM on the bridge and waits for its agent. */
export async function runPodSandbox(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'RunPodSandbox'>,
): Promise<RpcResponse<'RunPodSandbox'>> {
  const config = checkConfig(ctx, req.config);
  const id = newId();
  const hostname = config.hostname || config.metadata!.name;
  const record: SandboxRecord = {
    id,
    config,
    createdAt: nowNanos(),
    state: 'SANDBOX_NOTREADY',
    ip: '',
    hostname,
    accel: ctx.accel.accel,
  };
  // Saved before anything is made, so a crash from here on leaves a record recovery sees.
  ctx.records.saveSandbox(record);
  const paths = vmPaths(ctx.records.vmDir(id));
  let vm: Vm | undefined;
  let channel: GuestChannel | undefined;
  const t0 = performance.now();
  const phases: Record<string, number> = {};
  const mark = (name: string) => {
    phases[name] = Math.round(performance.now() - t0);
  };
  try {
    const addr = await ctx.network.attach(id);
    mark('networkMs');
    record.ip = addr.ip;
    writePodFiles(join(paths.share, 'pod'), config, hostname, addr.ip);
    const guest = await ctx.guestImage();
    const size = vmSize([config.linux?.resources ?? {}], ctx.host, ctx.options.memoryOverheadMiB);
    vm = await launchVm(
      {
        accel: ctx.accel.accel,
        size,
        kernel: guest.kernel,
        initrd: guest.initrd,
        cmdline: guest.cmdline({
          hostname,
          ip: `${addr.ip}/${addr.prefix}`,
          gateway: addr.gateway,
        }),
        tap: { name: addr.tap, mac: addr.mac },
      },
      paths,
      ctx.options.binaries,
    );
    mark('launchedMs');
    channel = await GuestChannel.connect(paths.channel, { connectTimeoutMs: 10_000 });
    await channel.hello(ctx.options.bootTimeoutSeconds * 1000);
    mark('agentMs');
    ctx.logger?.debug('sandbox VM booted', { id, ...phases });
    const live: LiveVm = { vm, channel, logs: new Map(), exits: new Map(), stopping: false };
    ctx.live.set(id, live);
    listen(ctx, id, live);
    ctx.records.saveSandbox({ ...record, state: 'SANDBOX_READY' });
    return { podSandboxId: id };
  } catch (err) {
    await channel?.close().catch(() => {});
    await tearDown(ctx, id, vm?.processes ?? readProcesses(paths.processes), 0);
    rmSync(paths.dir, { recursive: true, force: true });
    ctx.records.deleteSandbox(id);
    if (err instanceof SkiffError) throw err;
    throw new SkiffError(
      'InternalError',
      `cannot start the VM of pod sandbox ${config.metadata!.namespace}/${config.metadata!.name}: ${(err as Error).message}`,
    );
  }
}

// Stops the VM's processes, then undoes its network and host mounts.
async function tearDown(
  ctx: RuntimeContext,
  id: string,
  processes: ProcessRecord[],
  graceMs: number,
): Promise<void> {
  const paths = vmPaths(ctx.records.vmDir(id));
  await stopVm(processes, paths, graceMs);
  await ctx.network.detach(id);
  await unmountUnder(shareDir(ctx, id));
}

/**
 * stopPodSandbox asks the guest to power off (its agent kills every process), waits up to
 * the VM grace period, then stops qemu by force; the tap and address are released and the
 * containers that still ran are recorded as killed. Stopping twice is no error.
 */
export async function stopPodSandbox(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'StopPodSandbox'>,
): Promise<RpcResponse<'StopPodSandbox'>> {
  const s = sandboxOf(ctx, req.podSandboxId);
  const live = ctx.live.get(s.id);
  const paths = vmPaths(ctx.records.vmDir(s.id));
  if (live) {
    live.stopping = true;
    await Promise.race([
      live.channel.shutdown().catch(() => {}),
      new Promise((r) => setTimeout(r, 2_000)),
    ]);
    await tearDown(ctx, s.id, live.vm.processes, ctx.options.vmGraceSeconds * 1000);
    await live.channel.close().catch(() => {});
    ctx.live.delete(s.id);
  } else if (s.state === 'SANDBOX_READY' || s.ip) {
    await tearDown(ctx, s.id, readProcesses(paths.processes), 0);
  }
  endContainers(ctx, s.id, 'the pod sandbox was stopped');
  ctx.records.saveSandbox({ ...s, state: 'SANDBOX_NOTREADY', ip: '' });
  return {};
}

/** removePodSandbox stops the sandbox if needed and deletes it with its containers; an unknown one is no error. */
export async function removePodSandbox(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'RemovePodSandbox'>,
): Promise<RpcResponse<'RemovePodSandbox'>> {
  const s = ctx.records.sandboxes.get(req.podSandboxId);
  if (!s) return {};
  await stopPodSandbox(ctx, { podSandboxId: s.id });
  for (const c of ctx.records.containersOf(s.id)) ctx.records.deleteContainer(c.id);
  await unmountUnder(ctx.records.vmDir(s.id));
  rmSync(ctx.records.vmDir(s.id), { recursive: true, force: true });
  ctx.records.deleteSandbox(s.id);
  return {};
}

function toMessage(s: SandboxRecord): SandboxMessage {
  return {
    id: s.id,
    metadata: s.config.metadata,
    state: s.state,
    createdAt: s.createdAt,
    network: { ip: s.ip, additionalIps: [] },
    linux: { namespaces: { options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
    labels: s.config.labels,
    annotations: s.config.annotations,
    runtimeHandler: '',
  };
}

/** podSandboxStatus reports a sandbox; verbose adds the VM's accelerator and directory. */
export async function podSandboxStatus(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'PodSandboxStatus'>,
): Promise<RpcResponse<'PodSandboxStatus'>> {
  const s = sandboxOf(ctx, req.podSandboxId);
  const info: Record<string, string> = req.verbose
    ? {
        info: JSON.stringify({
          accel: s.accel,
          vmDir: ctx.records.vmDir(s.id),
          hostname: s.hostname,
        }),
      }
    : {};
  return { status: toMessage(s), info, containersStatuses: [], timestamp: nowNanos() };
}

/** listPodSandbox lists sandboxes narrowed by id, state and labels. */
export async function listPodSandbox(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'ListPodSandbox'>,
): Promise<RpcResponse<'ListPodSandbox'>> {
  const f = req.filter;
  const items = [...ctx.records.sandboxes.values()]
    .filter((s) => !f?.id || s.id === f.id)
    .filter((s) => !f?.state || s.state === f.state.state)
    .filter((s) => matchesLabels(s.config.labels, f?.labelSelector))
    .map((s) => {
      const m = toMessage(s);
      return {
        id: m.id,
        metadata: m.metadata,
        state: m.state,
        createdAt: m.createdAt,
        labels: m.labels,
        annotations: m.annotations,
        runtimeHandler: '',
      };
    });
  return { items };
}

/**
 * recoverSandboxes runs when the adapter starts: the VMs of an adapter that died cannot be
 * talked to again reliably (qemu drops guest output while no one is connected), so every qemu
 * and virtiofsd under the root is killed, its mounts and tap undone, its sandbox marked not
 * ready and its running containers ended.
 */
export async function recoverSandboxes(ctx: RuntimeContext): Promise<void> {
  const strays = strayProcesses(ctx.options.root);
  if (strays.length) {
    ctx.logger?.warn('reaping VM processes left by an earlier run', {
      pids: strays.map((p) => p.pid),
    });
  }
  await killProcesses(strays);
  for (const s of [...ctx.records.sandboxes.values()]) {
    await killProcesses(readProcesses(vmPaths(ctx.records.vmDir(s.id)).processes));
    await ctx.network.detach(s.id);
    await unmountUnder(shareDir(ctx, s.id));
    for (const c of ctx.records.containersOf(s.id)) {
      if (c.state === 'CONTAINER_RUNNING') {
        finishContainer(
          ctx,
          c,
          { exitCode: 255, timedOut: false },
          'Unknown',
          'the VM was lost with the runtime',
        );
      }
    }
    if (s.state !== 'SANDBOX_NOTREADY' || s.ip) {
      ctx.records.saveSandbox({ ...s, state: 'SANDBOX_NOTREADY', ip: '' });
    }
  }
}
