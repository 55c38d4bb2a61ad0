import { isAbsolute, join } from 'node:path';
import { SkiffError } from '../../sdk/errors.ts';
import type { RpcRequestReceived, RpcResponse } from '../../sdk/runtime/rpcs.ts';
import { anyMessage, containerdError, resourcesTypeUrl, specTypeUrl } from './client.ts';
import { snapshotter, withLease } from './content.ts';
import {
  type ContainerRecord,
  findRecord,
  label,
  listRecords,
  matchesSelector,
  mustFind,
  newId,
  nowNanos,
  parseJson,
  type RuntimeContext,
  runcRoot,
  taskOf,
} from './context.ts';
import { findImage } from './images.ts';
import { deleteRecord, sandboxPaths, shimName } from './sandboxes.ts';
import { containerSpec, linuxResources, type OciSpec, runcOptions } from './spec.ts';
import { isFinishing, settled, startTask, stopTask } from './tasks.ts';

type ContainerState =
  | 'CONTAINER_CREATED'
  | 'CONTAINER_RUNNING'
  | 'CONTAINER_EXITED'
  | 'CONTAINER_UNKNOWN';

/**
 * createContainer answers CreateContainer: the OCI spec built from the request and image, a
 * snapshot on the image's layers, and a containerd container record holding both. Bad input
 * creates nothing.
 */
export async function createContainer(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'CreateContainer'>,
): Promise<RpcResponse<'CreateContainer'>> {
  const config = req.config;
  // The image lookup is an independent read: it goes to containerd with the sandbox's.
  const imageName = config?.image?.image;
  const finding = imageName ? findImage(ctx.client, imageName) : Promise.resolve(undefined);
  finding.catch(() => {});
  const sandbox = await mustFind(ctx, 'sandbox', req.podSandboxId);
  if (!config?.metadata?.name)
    throw new SkiffError('Invalid', 'container config needs metadata with a name');
  if (!config.image?.image) throw new SkiffError('Invalid', 'container config names no image');
  for (const m of config.mounts) {
    if (!isAbsolute(m.containerPath) || !isAbsolute(m.hostPath)) {
      throw new SkiffError(
        'Invalid',
        `mount ${m.hostPath}:${m.containerPath} needs absolute paths`,
      );
    }
  }
  const image = await finding;
  if (!image) throw new SkiffError('NotFound', `image ${config.image.image} not found`);
  const [siblings, infra] = await Promise.all([
    listRecords(ctx, 'container', sandbox.id),
    taskOf(ctx, sandbox.id),
  ]);
  const key = JSON.stringify([config.metadata.name, config.metadata.attempt]);
  for (const c of siblings) {
    const m = parseJson<{ name: string; attempt: number }>(c.labels, label.metadata, {
      name: '',
      attempt: 0,
    });
    if (JSON.stringify([m.name, m.attempt]) === key) {
      throw new SkiffError(
        'AlreadyExists',
        `container ${config.metadata.name} exists in the pod as ${c.id}`,
      );
    }
  }
  if (infra?.status !== 'RUNNING') {
    throw new SkiffError('FailedPrecondition', `pod sandbox ${sandbox.id} is not ready`);
  }
  const id = newId();
  const paths = sandboxPaths(ctx, sandbox.id, sandbox.labels[label.hostname] ?? '');
  const spec = containerSpec(id, sandbox.id, infra.pid, config, image.config, paths);
  if (spec.process.args.length === 0)
    throw new SkiffError('Invalid', 'the container has no command to run');
  const logDir = sandbox.labels[label.logPath] ?? '';
  const logPath = config.logPath && logDir ? join(logDir, config.logPath) : '';
  try {
    await withLease(ctx.client, async (lease) => {
      await ctx.client.call(
        'snapshots',
        'Prepare',
        { snapshotter, key: id, parent: image.chainId },
        { lease },
      );
      await ctx.client.call(
        'containers',
        'Create',
        {
          container: {
            id,
            labels: {
              [label.kind]: 'container',
              [label.sandbox]: sandbox.id,
              [label.metadata]: JSON.stringify({
                name: config.metadata?.name,
                attempt: config.metadata?.attempt,
              }),
              [label.labels]: JSON.stringify(config.labels),
              [label.annotations]: JSON.stringify(config.annotations),
              [label.createdAt]: nowNanos(),
              [label.logPath]: logPath,
              [label.image]: config.image?.image ?? '',
              [label.imageId]: image.id,
            },
            image: image.names[0] ?? image.id,
            runtime: { name: shimName, options: runcOptions(runcRoot(ctx)) },
            spec: anyMessage(specTypeUrl, spec),
            snapshotter,
            snapshotKey: id,
          },
        },
        { lease },
      );
    });
  } catch (err) {
    await ctx.client.call('containers', 'Delete', { id }).catch(() => {});
    await ctx.client.call('snapshots', 'Remove', { snapshotter, key: id }).catch(() => {});
    throw containerdError(err, 'cannot create the container');
  }
  return { containerId: id };
}

/** startContainer answers StartContainer; a container starts once. */
export async function startContainer(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'StartContainer'>,
): Promise<RpcResponse<'StartContainer'>> {
  const record = await mustFind(ctx, 'container', req.containerId);
  if (record.labels[label.startedAt] || (await taskOf(ctx, record.id))) {
    throw new SkiffError('FailedPrecondition', `container ${record.id} was started already`);
  }
  try {
    await startTask(ctx, record, record.labels[label.logPath] || undefined);
  } catch (err) {
    throw containerdError(err, `cannot start container ${record.id}`);
  }
  return {};
}

/** stopContainer answers StopContainer: SIGTERM, the grace period, then SIGKILL. */
export async function stopContainer(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'StopContainer'>,
): Promise<RpcResponse<'StopContainer'>> {
  const record = await mustFind(ctx, 'container', req.containerId);
  await stopTask(ctx, record.id, Number(req.timeout));
  return {};
}

/** removeContainer answers RemoveContainer: a running container is killed; absent is no error. */
export async function removeContainer(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'RemoveContainer'>,
): Promise<RpcResponse<'RemoveContainer'>> {
  const record = await findRecord(ctx, 'container', req.containerId);
  if (!record) return {};
  await stopTask(ctx, record.id, 0);
  await deleteRecord(ctx, record);
  return {};
}

interface ContainerView {
  state: ContainerState;
  startedAt: string;
  finishedAt: string;
  exitCode: number;
}

async function viewOf(ctx: RuntimeContext, found: ContainerRecord): Promise<ContainerView> {
  let record = found;
  let task = await taskOf(ctx, record.id);
  if (!task && isFinishing(record.id)) {
    // The exit is being recorded: read the labels it writes.
    await settled(record.id);
    record = (await findRecord(ctx, 'container', record.id)) ?? record;
    task = await taskOf(ctx, record.id);
  }
  const l = record.labels;
  const startedAt = l[label.startedAt] ?? '0';
  if (task && task.status !== 'STOPPED') {
    return { state: 'CONTAINER_RUNNING', startedAt, finishedAt: '0', exitCode: 0 };
  }
  if (task) {
    return {
      state: 'CONTAINER_EXITED',
      startedAt,
      finishedAt: nowNanos(),
      exitCode: task.exitStatus,
    };
  }
  if (l[label.finishedAt]) {
    return {
      state: 'CONTAINER_EXITED',
      startedAt,
      finishedAt: l[label.finishedAt] ?? '0',
      exitCode: Number(l[label.exitCode] ?? 0),
    };
  }
  // Started, but its task vanished unrecorded (containerd restarted): it is gone.
  if (l[label.startedAt])
    return { state: 'CONTAINER_EXITED', startedAt, finishedAt: startedAt, exitCode: 255 };
  return { state: 'CONTAINER_CREATED', startedAt: '0', finishedAt: '0', exitCode: 0 };
}

function common(record: ContainerRecord) {
  const l = record.labels;
  return {
    id: record.id,
    podSandboxId: l[label.sandbox] ?? '',
    metadata: parseJson(l, label.metadata, {}),
    image: { image: l[label.image] ?? '' },
    imageRef: l[label.imageId] ?? '',
    createdAt: l[label.createdAt] ?? '0',
    labels: parseJson<Record<string, string>>(l, label.labels, {}),
    annotations: parseJson<Record<string, string>>(l, label.annotations, {}),
  };
}

/** containerStatus answers ContainerStatus; an unknown container is NotFound. */
export async function containerStatus(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'ContainerStatus'>,
): Promise<RpcResponse<'ContainerStatus'>> {
  const record = await mustFind(ctx, 'container', req.containerId);
  const view = await viewOf(ctx, record);
  const { podSandboxId: _, ...rest } = common(record);
  return {
    status: {
      ...rest,
      state: view.state,
      startedAt: view.startedAt,
      finishedAt: view.finishedAt,
      exitCode: view.exitCode,
      reason:
        view.state === 'CONTAINER_EXITED' ? (view.exitCode === 0 ? 'Completed' : 'Error') : '',
      logPath: record.labels[label.logPath] ?? '',
    },
  };
}

/** listContainers answers ListContainers with the filter's id prefix, sandbox, state and labels. */
export async function listContainers(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'ListContainers'>,
): Promise<RpcResponse<'ListContainers'>> {
  const f = req.filter;
  const out = [];
  for (const r of await listRecords(ctx, 'container', f?.podSandboxId || undefined)) {
    if (f?.id && !r.id.startsWith(f.id)) continue;
    const c = common(r);
    if (!matchesSelector(c.labels, f?.labelSelector)) continue;
    const { state } = await viewOf(ctx, r);
    if (f?.state && f.state.state !== state) continue;
    out.push({ ...c, state });
  }
  return { containers: out };
}

/** runningRecord finds a container and checks it runs, for exec and stats. */
export async function runningRecord(ctx: RuntimeContext, id: string): Promise<ContainerRecord> {
  const record = await mustFind(ctx, 'container', id);
  const task = await taskOf(ctx, record.id);
  if (task?.status !== 'RUNNING') {
    throw new SkiffError('FailedPrecondition', `container ${record.id} is not running`);
  }
  return record;
}

/**
 * updateContainerResources answers UpdateContainerResources: the new CPU and memory limits go
 * into the stored spec and, when the container runs, into its cgroup through task Update.
 */
export async function updateContainerResources(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'UpdateContainerResources'>,
): Promise<RpcResponse<'UpdateContainerResources'>> {
  const record = await mustFind(ctx, 'container', req.containerId);
  const spec = JSON.parse(record.spec?.value.toString('utf8') ?? '{}') as OciSpec;
  const resources = { ...(spec.linux.resources as object), ...linuxResources(req.linux) };
  spec.linux.resources = resources;
  try {
    if ((await taskOf(ctx, record.id))?.status === 'RUNNING') {
      await ctx.client.call('tasks', 'Update', {
        containerId: record.id,
        resources: anyMessage(resourcesTypeUrl, resources),
      });
    }
    await ctx.client.call('containers', 'Update', {
      container: { id: record.id, spec: anyMessage(specTypeUrl, spec) },
      updateMask: { paths: ['spec'] },
    });
  } catch (err) {
    throw containerdError(err, `cannot update the resources of container ${record.id}`);
  }
  return {};
}
