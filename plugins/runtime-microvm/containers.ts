import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SkiffError } from '../../sdk/errors.ts';
import type { RpcRequestReceived, RpcResponse } from '../../sdk/runtime/rpcs.ts';
import { readSeccompProfile, seccompChoice } from '../../sdk/runtime/seccomp.ts';
import type { GuestMount, ProcessExit } from './channel.ts';
import { containerOf, type LiveVm, type RuntimeContext, sandboxOf, shareDir } from './context.ts';
import { CriLogFile } from './cri-log.ts';
import { checkedRef, type ImageConfig } from './images.ts';
import { bindMount, mountsUnder, unmountUnder } from './mounts.ts';
import { finishContainer } from './sandboxes.ts';
import {
  type ContainerConfig,
  type ContainerRecord,
  matchesLabels,
  newId,
  nowNanos,
} from './state.ts';
import { limitsOf } from './usage.ts';

type ContainerMessage = NonNullable<RpcResponse<'ContainerStatus'>['status']>;

/** processOf works out argv, env and cwd the way Kubernetes merges a container with its image. */
export function processOf(
  config: Pick<ContainerConfig, 'command' | 'args' | 'envs' | 'workingDir'>,
  image: ImageConfig,
): { argv: string[]; env: string[]; cwd: string } {
  const ic = image.config ?? {};
  // A command replaces the image's entrypoint and, unless args are given, its cmd too.
  const argv = config.command.length
    ? [...config.command, ...config.args]
    : [...(ic.Entrypoint ?? []), ...(config.args.length ? config.args : (ic.Cmd ?? []))];
  const env = new Map<string, string>();
  for (const e of ic.Env ?? []) {
    const eq = e.indexOf('=');
    env.set(eq < 0 ? e : e.slice(0, eq), eq < 0 ? '' : e.slice(eq + 1));
  }
  for (const e of config.envs) env.set(e.key, e.value);
  return {
    argv,
    env: [...env].map(([k, v]) => `${k}=${v}`),
    cwd: config.workingDir || ic.WorkingDir || '/',
  };
}

function liveOf(ctx: RuntimeContext, c: ContainerRecord): LiveVm {
  const live = ctx.live.get(c.sandboxId);
  if (!live) {
    throw new SkiffError(
      'FailedPrecondition',
      `the VM of pod sandbox ${c.sandboxId} is not running`,
    );
  }
  return live;
}

/** createContainer checks the config and records the container; the guest makes it on start. */
export async function createContainer(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'CreateContainer'>,
): Promise<RpcResponse<'CreateContainer'>> {
  const sandbox = sandboxOf(ctx, req.podSandboxId);
  const config = req.config;
  if (!config?.metadata?.name)
    throw new SkiffError('Invalid', 'container config has no metadata name');
  const imageRef = checkedRef(config.image?.image);
  for (const m of config.mounts) {
    if (!m.hostPath || !m.containerPath) {
      throw new SkiffError('Invalid', 'a mount needs both a host path and a container path');
    }
  }
  // The guest does not filter system calls (the VM is the boundary), but a profile that cannot
  // be read is the same bad input here as on any other runtime.
  const seccomp = seccompChoice(config.linux?.securityContext);
  if (seccomp.kind === 'localhost') readSeccompProfile(seccomp.path);
  if (sandbox.state !== 'SANDBOX_READY') {
    throw new SkiffError('FailedPrecondition', `pod sandbox ${sandbox.id} is not ready`);
  }
  const image = ctx.images.find(imageRef);
  if (!image) throw new SkiffError('NotFound', `image ${imageRef} not found`);
  const { name, attempt } = config.metadata;
  const clash = ctx.records
    .containersOf(sandbox.id)
    .find((c) => c.config.metadata?.name === name && c.config.metadata?.attempt === attempt);
  if (clash) {
    throw new SkiffError(
      'AlreadyExists',
      `container ${name} attempt ${attempt} exists as ${clash.id}`,
    );
  }
  const id = newId();
  const logDir = sandbox.config.logDirectory;
  ctx.records.saveContainer({
    id,
    sandboxId: sandbox.id,
    config,
    guestName: id,
    imageId: image.id,
    ...processOf(config, ctx.images.config(image)),
    logPath: logDir && config.logPath ? join(logDir, config.logPath) : '',
    state: 'CONTAINER_CREATED',
    createdAt: nowNanos(),
    startedAt: '',
    finishedAt: '',
    exitCode: 0,
    reason: '',
    message: '',
  });
  return { containerId: id };
}

// Binds the image root and the container's host paths into the share; returns guest mounts.
async function prepareShare(
  ctx: RuntimeContext,
  c: ContainerRecord,
): Promise<{ rootfs: string; mounts: GuestMount[] }> {
  const share = shareDir(ctx, c.sandboxId);
  const image = ctx.images.find(c.imageId);
  if (!image) throw new SkiffError('NotFound', `image ${c.imageId} of container ${c.id} is gone`);
  const root = await ctx.images.rootfs(image);
  const imageDir = join(share, 'rootfs', image.id.slice('sha256:'.length));
  if (!mountsUnder(imageDir).includes(imageDir)) await bindMount(root, imageDir, true);
  const mounts: GuestMount[] = [
    { source: 'pod/resolv.conf', destination: '/etc/resolv.conf', readonly: true },
    { source: 'pod/hosts', destination: '/etc/hosts', readonly: true },
  ];
  for (const [i, m] of c.config.mounts.entries()) {
    if (!existsSync(m.hostPath)) {
      throw new SkiffError('Invalid', `mount source ${m.hostPath} does not exist on the host`);
    }
    const target = join(share, 'mounts', c.id, String(i));
    await bindMount(m.hostPath, target, m.readonly);
    mounts.push({
      source: relative(share, target),
      destination: m.containerPath,
      readonly: m.readonly,
    });
  }
  return { rootfs: relative(share, imageDir), mounts };
}

/** startContainer has the guest agent create and start the container in the sandbox's VM. */
export async function startContainer(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'StartContainer'>,
): Promise<RpcResponse<'StartContainer'>> {
  const c = containerOf(ctx, req.containerId);
  if (c.state !== 'CONTAINER_CREATED') {
    throw new SkiffError('FailedPrecondition', `container ${c.id} is ${c.state}, not created`);
  }
  const live = liveOf(ctx, c);
  let resolve!: (e: ProcessExit) => void;
  const done = new Promise<ProcessExit>((r) => {
    resolve = r;
  });
  try {
    const { rootfs, mounts } = await prepareShare(ctx, c);
    if (c.logPath) live.logs.set(c.id, new CriLogFile(c.logPath));
    live.exits.set(c.id, { done, resolve });
    // Recorded as started before the guest answers: its exit may arrive right behind the answer.
    ctx.records.saveContainer({ ...c, startedAt: nowNanos() });
    await live.channel.createContainer({
      name: c.guestName,
      rootfs,
      mounts,
      argv: c.argv,
      env: c.env,
      cwd: c.cwd,
      limits: limitsOf(c.config.linux?.resources),
    });
  } catch (err) {
    live.logs.get(c.id)?.close();
    live.logs.delete(c.id);
    live.exits.delete(c.id);
    await unmountUnder(join(shareDir(ctx, c.sandboxId), 'mounts', c.id));
    ctx.records.saveContainer({ ...c, startedAt: '' });
    throw err;
  }
  const now = ctx.records.containers.get(c.id);
  if (now?.state === 'CONTAINER_CREATED')
    ctx.records.saveContainer({ ...now, state: 'CONTAINER_RUNNING' });
  return {};
}

/** startupWindowMs is how long after its start a container gets SIGTERM again while stopping. */
const startupWindowMs = 3_000;

async function waitExit(live: LiveVm, id: string, ms: number): Promise<boolean> {
  const w = live.exits.get(id);
  if (!w) return true;
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    w.done.then(() => true),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return ended;
}

/** stopContainer sends SIGTERM, waits up to the timeout, then SIGKILL; a stopped one is no error. */
export async function stopContainer(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'StopContainer'>,
): Promise<RpcResponse<'StopContainer'>> {
  const c = containerOf(ctx, req.containerId);
  if (c.state !== 'CONTAINER_RUNNING') return {};
  const live = ctx.live.get(c.sandboxId);
  if (!live) return {};
  const timeoutMs = Math.max(0, Number(req.timeout)) * 1000;
  const deadline = Date.now() + timeoutMs;
  const startedMs = Number(BigInt(c.startedAt || '0') / 1_000_000n);
  while (Date.now() < deadline) {
    await live.channel.signalContainer(c.guestName, 'SIGTERM').catch(() => {});
    // The main process is PID 1 of its namespace: a SIGTERM that lands before it has set up
    // its handler is dropped by the kernel. While the container is young it is sent again.
    const young = Date.now() - startedMs < startupWindowMs;
    const wait = young ? Math.min(250, deadline - Date.now()) : deadline - Date.now();
    if (await waitExit(live, c.id, wait)) return {};
    if (!young) break;
  }
  await live.channel.signalContainer(c.guestName, 'SIGKILL').catch(() => {});
  if (!(await waitExit(live, c.id, 10_000))) {
    throw new SkiffError('Timeout', `container ${c.id} did not end after SIGKILL`);
  }
  return {};
}

/** removeContainer kills the container if it runs and forgets it; an unknown one is no error. */
export async function removeContainer(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'RemoveContainer'>,
): Promise<RpcResponse<'RemoveContainer'>> {
  const c = ctx.records.containers.get(req.containerId);
  if (!c) return {};
  const live = ctx.live.get(c.sandboxId);
  if (live && c.state !== 'CONTAINER_CREATED') {
    await live.channel.removeContainer(c.guestName).catch((err: unknown) => {
      ctx.logger?.warn('the guest could not remove a container', { id: c.id, error: String(err) });
    });
    const now = ctx.records.containers.get(c.id);
    if (now?.state === 'CONTAINER_RUNNING') {
      finishContainer(ctx, now, { exitCode: 137, signal: 9, timedOut: false }, 'Killed');
    }
  }
  live?.logs.get(c.id)?.close();
  live?.logs.delete(c.id);
  live?.exits.delete(c.id);
  await unmountUnder(join(shareDir(ctx, c.sandboxId), 'mounts', c.id));
  ctx.records.deleteContainer(c.id);
  return {};
}

function toMessage(ctx: RuntimeContext, c: ContainerRecord): ContainerMessage {
  const image = ctx.images.find(c.imageId);
  return {
    id: c.id,
    metadata: c.config.metadata,
    state: c.state,
    createdAt: c.createdAt,
    startedAt: c.state === 'CONTAINER_CREATED' ? '0' : c.startedAt || '0',
    finishedAt: c.finishedAt || '0',
    exitCode: c.exitCode,
    image: { image: image?.names[0] ?? c.config.image?.image ?? c.imageId },
    imageRef: c.imageId,
    reason: c.reason,
    message: c.message,
    labels: c.config.labels,
    annotations: c.config.annotations,
    mounts: c.config.mounts,
    logPath: c.logPath,
  };
}

/** containerStatus reports one container. */
export async function containerStatus(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'ContainerStatus'>,
): Promise<RpcResponse<'ContainerStatus'>> {
  return { status: toMessage(ctx, containerOf(ctx, req.containerId)), info: {} };
}

/** listContainers lists containers narrowed by id, sandbox, state and labels. */
export async function listContainers(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'ListContainers'>,
): Promise<RpcResponse<'ListContainers'>> {
  const f = req.filter;
  const containers = [...ctx.records.containers.values()]
    .filter((c) => !f?.id || c.id === f.id)
    .filter((c) => !f?.podSandboxId || c.sandboxId === f.podSandboxId)
    .filter((c) => !f?.state || c.state === f.state.state)
    .filter((c) => matchesLabels(c.config.labels, f?.labelSelector))
    .map((c) => {
      const m = toMessage(ctx, c);
      return {
        id: c.id,
        podSandboxId: c.sandboxId,
        metadata: m.metadata,
        image: m.image,
        imageRef: m.imageRef,
        state: m.state,
        createdAt: m.createdAt,
        labels: m.labels,
        annotations: m.annotations,
      };
    });
  return { containers };
}

/** runningContainer finds a running container and its VM, or fails (NotFound, FailedPrecondition). */
export function runningContainer(
  ctx: RuntimeContext,
  id: string,
): { c: ContainerRecord; live: LiveVm } {
  const c = containerOf(ctx, id);
  if (c.state !== 'CONTAINER_RUNNING') {
    throw new SkiffError('FailedPrecondition', `container ${id} is not running`);
  }
  return { c, live: liveOf(ctx, c) };
}

/** execSync runs a command in a running container to its end; past its timeout it is DEADLINE_EXCEEDED. */
export async function execSync(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'ExecSync'>,
): Promise<RpcResponse<'ExecSync'>> {
  const { c, live } = runningContainer(ctx, req.containerId);
  if (req.cmd.length === 0) throw new SkiffError('Invalid', 'exec needs a command');
  const r = await live.channel.execSync({
    container: c.guestName,
    argv: req.cmd,
    env: c.env,
    cwd: c.cwd,
    timeoutSeconds: Number(req.timeout),
  });
  if (r.timedOut) {
    throw new SkiffError(
      'Timeout',
      `command ${JSON.stringify(req.cmd)} timed out after ${req.timeout} s`,
    );
  }
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
}
