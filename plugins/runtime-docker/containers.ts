import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type Docker from 'dockerode';
import { SkiffError } from '../../sdk/errors.ts';
import type { RpcRequestReceived, RpcResponse } from '../../sdk/runtime/rpcs.ts';
import { checkedRef, dockerName } from './images.ts';
import {
  type DockerContext,
  dockerMessage,
  inspectObject,
  isoToNanos,
  label,
  listObjects,
  matchesSelector,
  nowNanos,
  parseJsonLabel,
  statusCode,
} from './labels.ts';
import type { LogCopier } from './logs.ts';
import { removeQuietly, stopQuietly } from './sandboxes.ts';
import { seccompOptions } from './security.ts';

type ContainerConfig = NonNullable<RpcRequestReceived<'CreateContainer'>['config']>;
type CriMount = ContainerConfig['mounts'][number];
type ContainerState =
  | 'CONTAINER_CREATED'
  | 'CONTAINER_RUNNING'
  | 'CONTAINER_EXITED'
  | 'CONTAINER_UNKNOWN';

const envName = /^[^=\0]+$/;

function checkMounts(mounts: CriMount[]): void {
  const seen = new Set<string>();
  for (const m of mounts) {
    if (!m.containerPath || !isAbsolute(m.containerPath)) {
      throw new SkiffError(
        'Invalid',
        `mount container path ${JSON.stringify(m.containerPath)} must be absolute`,
      );
    }
    if (!m.hostPath || !isAbsolute(m.hostPath)) {
      throw new SkiffError(
        'Invalid',
        `mount host path ${JSON.stringify(m.hostPath)} must be absolute`,
      );
    }
    if (!existsSync(m.hostPath)) {
      throw new SkiffError('Invalid', `mount host path ${m.hostPath} does not exist`);
    }
    if (seen.has(m.containerPath)) {
      throw new SkiffError('Invalid', `two mounts at ${m.containerPath}`);
    }
    seen.add(m.containerPath);
  }
}

function resources(config: ContainerConfig): Partial<Docker.HostConfig> {
  const r = config.linux?.resources;
  if (!r) return {};
  const n = (v: string | undefined) => Number(v ?? 0);
  const out: Partial<Docker.HostConfig> = {};
  if (n(r.cpuShares) > 0) out.CpuShares = n(r.cpuShares);
  if (n(r.cpuQuota) > 0) out.CpuQuota = n(r.cpuQuota);
  if (n(r.cpuPeriod) > 0) out.CpuPeriod = n(r.cpuPeriod);
  if (n(r.memoryLimitInBytes) > 0) out.Memory = n(r.memoryLimitInBytes);
  if (r.cpusetCpus) out.CpusetCpus = r.cpusetCpus;
  if (r.cpusetMems) out.CpusetMems = r.cpusetMems;
  return out;
}

/** createContainer creates a container inside a sandbox's namespaces; it is not started. */
export async function createContainer(
  ctx: DockerContext,
  req: RpcRequestReceived<'CreateContainer'>,
): Promise<RpcResponse<'CreateContainer'>> {
  const config = req.config;
  if (!config?.metadata?.name) throw new SkiffError('Invalid', 'container metadata.name is empty');
  const ref = checkedRef(config.image?.image);
  checkMounts(config.mounts ?? []);
  const securityOpt = seccompOptions(config.linux?.securityContext);
  for (const e of config.envs ?? []) {
    if (!envName.test(e.key))
      throw new SkiffError(
        'Invalid',
        `environment variable name ${JSON.stringify(e.key)} is invalid`,
      );
  }
  // A sandbox's labels are fixed when it is made, so one this process has seen is not inspected
  // again; Docker resolves the image itself and says when it is missing.
  const sandboxId = req.podSandboxId;
  const sandboxLabels = await sandboxLabelsOf(ctx, sandboxId);
  const sandboxMd = parseJsonLabel<{ name?: string; namespace?: string }>(
    sandboxLabels,
    label.metadata,
    {},
  );
  const logDirectory = sandboxLabels[label.logDirectory] ?? '';
  const logPath = logDirectory && config.logPath ? join(logDirectory, config.logPath) : '';
  const ns = config.linux?.securityContext?.namespaceOptions;
  const joined = `container:${sandboxId}`;
  const md = config.metadata;
  // One name per (sandbox, container name, attempt): Docker then refuses a second create of
  // the same container, as the CRI asks.
  const name = `skiff_${md.name}_${sandboxMd.name ?? ''}_${sandboxId.slice(0, 12)}_${md.attempt}`;
  const created = await ctx.docker
    .createContainer({
      name: name.replace(/[^a-zA-Z0-9_.-]/g, '-'),
      Image: dockerName(ref),
      Entrypoint: config.command.length > 0 ? config.command : undefined,
      Cmd: config.args.length > 0 ? config.args : undefined,
      Env: (config.envs ?? []).map((e) => `${e.key}=${e.value}`),
      WorkingDir: config.workingDir || undefined,
      Tty: config.tty,
      OpenStdin: config.stdin,
      StdinOnce: config.stdinOnce,
      AttachStdin: config.stdin,
      Labels: {
        [label.kind]: 'container',
        [label.sandboxId]: sandboxId,
        [label.metadata]: JSON.stringify(md),
        [label.labels]: JSON.stringify(config.labels ?? {}),
        [label.annotations]: JSON.stringify(config.annotations ?? {}),
        [label.created]: nowNanos(),
        [label.logPath]: logPath,
        [label.image]: config.image?.image ?? ref,
        [label.mounts]: JSON.stringify(config.mounts ?? []),
      },
      HostConfig: {
        NetworkMode: joined,
        IpcMode: joined,
        PidMode: ns?.pid === 'POD' ? joined : ns?.pid === 'NODE' ? 'host' : '',
        Binds: (config.mounts ?? []).map(
          (m) => `${m.hostPath}:${m.containerPath}:${m.readonly ? 'ro' : 'rw'}`,
        ),
        Privileged: config.linux?.securityContext?.privileged ?? false,
        ReadonlyRootfs: config.linux?.securityContext?.readonlyRootfs ?? false,
        RestartPolicy: { Name: 'no' },
        SecurityOpt: securityOpt,
        ...resources(config),
      },
    })
    .catch(async (err: unknown) => {
      if (statusCode(err) === 404 && /no such image/i.test(dockerMessage(err))) {
        throw new SkiffError('NotFound', `image ${ref} is not present; pull it first`);
      }
      if (statusCode(err) === 404) {
        // The sandbox went away behind this process's back: ask Docker, which says NotFound.
        ctx.remembered.sandboxLabels.delete(sandboxId);
        await inspectObject(ctx, 'sandbox', sandboxId);
      }
      if (statusCode(err) === 400) throw new SkiffError('Invalid', dockerMessage(err));
      if (statusCode(err) === 409) {
        throw new SkiffError(
          'AlreadyExists',
          `container ${md.name} attempt ${md.attempt} exists in pod sandbox ${sandboxId}`,
        );
      }
      throw err;
    });
  ctx.remembered.unstarted.set(created.id, { logPath });
  return { containerId: created.id };
}

/** sandboxLabelsOf returns a sandbox's labels, from memory when this process has seen it. */
async function sandboxLabelsOf(ctx: DockerContext, id: string): Promise<Record<string, string>> {
  const known = ctx.remembered.sandboxLabels.get(id);
  if (known) return known;
  const info = await inspectObject(ctx, 'sandbox', id);
  const labels = info.Config.Labels ?? {};
  ctx.remembered.sandboxLabels.set(info.Id, labels);
  return labels;
}

/** startContainer starts a created container and sets its log copy going. */
export async function startContainer(
  ctx: DockerContext,
  logs: LogCopier,
  req: RpcRequestReceived<'StartContainer'>,
): Promise<RpcResponse<'StartContainer'>> {
  // A container this process created and has not started is known to be in the created state:
  // it is started without an inspect first. Otherwise Docker is asked, since starting an
  // exited container again is not a CRI start.
  const fresh = ctx.remembered.unstarted.get(req.containerId);
  ctx.remembered.unstarted.delete(req.containerId);
  let id = req.containerId;
  let logPath = fresh?.logPath ?? '';
  if (!fresh) {
    const info = await inspectObject(ctx, 'container', req.containerId);
    if (info.State.Status !== 'created') {
      throw new SkiffError(
        'FailedPrecondition',
        `container ${info.Id} is ${info.State.Status}, not created`,
      );
    }
    id = info.Id;
    logPath = info.Config.Labels?.[label.logPath] ?? '';
  }
  try {
    await ctx.docker.getContainer(id).start();
  } catch (err) {
    if (statusCode(err) === 404) throw new SkiffError('NotFound', `container ${id} not found`);
    if (statusCode(err) === 304) {
      throw new SkiffError('FailedPrecondition', `container ${id} is running, not created`);
    }
    throw new SkiffError(
      'FailedPrecondition',
      `cannot start container ${id}: ${dockerMessage(err)}`,
    );
  }
  // The answer does not wait for Docker to open the log stream (see followSoon).
  logs.followSoon(id, logPath);
  return {};
}

/** stopContainer stops a container within the timeout, then kills it; stopping twice is fine. */
export async function stopContainer(
  ctx: DockerContext,
  req: RpcRequestReceived<'StopContainer'>,
): Promise<RpcResponse<'StopContainer'>> {
  const info = await inspectObject(ctx, 'container', req.containerId);
  await stopQuietly(ctx.docker.getContainer(info.Id), Number(req.timeout));
  return {};
}

/** removeContainer removes a container, stopping it first; removing what is gone succeeds. */
export async function removeContainer(
  ctx: DockerContext,
  logs: LogCopier,
  req: RpcRequestReceived<'RemoveContainer'>,
): Promise<RpcResponse<'RemoveContainer'>> {
  let id: string;
  try {
    id = (await inspectObject(ctx, 'container', req.containerId)).Id;
  } catch (err) {
    if (err instanceof SkiffError && err.code === 'NotFound') return {};
    throw err;
  }
  logs.stop(id);
  ctx.remembered.unstarted.delete(id);
  await removeQuietly(ctx.docker.getContainer(id));
  return {};
}

/** containerState maps Docker's container states onto the CRI's four. */
export function containerState(state: string): ContainerState {
  switch (state) {
    case 'created':
      return 'CONTAINER_CREATED';
    case 'running':
    case 'paused':
    case 'restarting':
      return 'CONTAINER_RUNNING';
    case 'exited':
    case 'dead':
      return 'CONTAINER_EXITED';
    default:
      return 'CONTAINER_UNKNOWN';
  }
}

/** listContainers answers ListContainers with the id (or prefix), sandbox, state and label filters. */
export async function listContainers(
  ctx: DockerContext,
  req: RpcRequestReceived<'ListContainers'>,
): Promise<RpcResponse<'ListContainers'>> {
  const f = req.filter;
  const all = await listObjects(ctx, 'container', f?.podSandboxId || undefined);
  const containers = all.map((c) => ({
    id: c.id,
    podSandboxId: c.labels[label.sandboxId] ?? '',
    metadata: parseJsonLabel(c.labels, label.metadata, {}),
    image: { image: c.labels[label.image] ?? '' },
    imageRef: c.imageId,
    state: containerState(c.state),
    createdAt: c.labels[label.created] ?? '0',
    labels: parseJsonLabel<Record<string, string>>(c.labels, label.labels, {}),
    annotations: parseJsonLabel<Record<string, string>>(c.labels, label.annotations, {}),
  }));
  return {
    containers: containers.filter(
      (c) =>
        (!f?.id || c.id.startsWith(f.id)) &&
        (!f?.state || c.state === f.state.state) &&
        matchesSelector(c.labels, f?.labelSelector),
    ),
  };
}

/** containerStatus answers ContainerStatus, with times, exit code and reason. */
export async function containerStatus(
  ctx: DockerContext,
  req: RpcRequestReceived<'ContainerStatus'>,
): Promise<RpcResponse<'ContainerStatus'>> {
  const info = await inspectObject(ctx, 'container', req.containerId);
  const labels = info.Config.Labels ?? {};
  const state = containerState(info.State.Status);
  const exited = state === 'CONTAINER_EXITED';
  const reason = !exited
    ? ''
    : info.State.OOMKilled
      ? 'OOMKilled'
      : info.State.ExitCode === 0
        ? 'Completed'
        : 'Error';
  const hc = info.HostConfig;
  const response: RpcResponse<'ContainerStatus'> = {
    status: {
      id: info.Id,
      metadata: parseJsonLabel(labels, label.metadata, {}),
      state,
      createdAt: labels[label.created] ?? isoToNanos(info.Created),
      startedAt: isoToNanos(info.State.StartedAt),
      finishedAt: exited ? isoToNanos(info.State.FinishedAt) : '0',
      exitCode: exited ? info.State.ExitCode : 0,
      image: { image: labels[label.image] ?? '' },
      imageRef: info.Image,
      reason,
      message: info.State.Error ?? '',
      labels: parseJsonLabel(labels, label.labels, {}),
      annotations: parseJsonLabel(labels, label.annotations, {}),
      mounts: parseJsonLabel(labels, label.mounts, []),
      logPath: labels[label.logPath] ?? '',
      resources: {
        linux: {
          cpuShares: String(hc.CpuShares ?? 0),
          cpuQuota: String(hc.CpuQuota ?? 0),
          cpuPeriod: String(hc.CpuPeriod ?? 0),
          memoryLimitInBytes: String(hc.Memory ?? 0),
        },
      },
    },
  };
  if (req.verbose)
    response.info = {
      info: JSON.stringify({ pid: info.State.Pid, sandboxId: labels[label.sandboxId] }),
    };
  return response;
}

/** resumeLogCopies restarts log copying for every started container (after an adapter restart). */
export async function resumeLogCopies(ctx: DockerContext, logs: LogCopier): Promise<void> {
  for (const c of await listObjects(ctx, 'container')) {
    const path = c.labels[label.logPath];
    if (path && c.state !== 'created') await logs.follow(c.id, path).catch(() => {});
  }
}

/** updateContainerResources answers UpdateContainerResources for CPU and memory. */
export async function updateContainerResources(
  ctx: DockerContext,
  req: RpcRequestReceived<'UpdateContainerResources'>,
): Promise<RpcResponse<'UpdateContainerResources'>> {
  const info = await inspectObject(ctx, 'container', req.containerId);
  const update = resources({ linux: { resources: req.linux } } as unknown as ContainerConfig);
  await ctx.docker.getContainer(info.Id).update(update);
  return {};
}
