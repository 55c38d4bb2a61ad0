import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname as hostHostname } from 'node:os';
import { join } from 'node:path';
import { SkiffError } from '../../sdk/errors.ts';
import { pauseImage } from '../../sdk/runtime/base-images.ts';
import { buildImageArchive } from '../../sdk/runtime/image-layout.ts';
import type { RpcRequestReceived, RpcResponse } from '../../sdk/runtime/rpcs.ts';
import { anyMessage, containerdError, isNotFound, specTypeUrl } from './client.ts';
import { type Mount, snapshotter, withLease } from './content.ts';
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
  sandboxDir,
  taskOf,
} from './context.ts';
import { type ContainerdImage, findImage, importArchive } from './images.ts';
import { connectPodNetwork, createNetns, netnsPath, tearDownPodNetwork } from './network.ts';
import { type CniPortMapping, cniPortMappings } from './port-mappings.ts';
import {
  defaultCapabilities,
  runcOptions,
  type SandboxPaths,
  sandboxSpec,
  seccompSection,
} from './spec.ts';
import { startTask, stopTask } from './tasks.ts';

type SandboxConfig = NonNullable<RpcRequestReceived<'RunPodSandbox'>['config']>;

/** runtimeName is the containerd shim every task runs under. */
export const shimName = 'io.containerd.runc.v2';

/** sandboxPaths names the files a pod's containers share. */
export function sandboxPaths(ctx: RuntimeContext, id: string, hostname: string): SandboxPaths {
  const dir = sandboxDir(ctx, id);
  return {
    netns: netnsPath(id),
    hostname,
    resolvConf: join(dir, 'resolv.conf'),
    hostnameFile: join(dir, 'hostname'),
  };
}

async function ensurePauseImage(ctx: RuntimeContext): Promise<ContainerdImage> {
  const present = await findImage(ctx.client, ctx.options.pauseImage);
  if (present) return present;
  const archive = await buildImageArchive([pauseImage(ctx.options.pauseImage)]);
  await importArchive(ctx.client, archive.path);
  const image = await findImage(ctx.client, ctx.options.pauseImage);
  if (!image) throw new Error(`imported ${ctx.options.pauseImage} but cannot find it`);
  return image;
}

function writePodFiles(paths: SandboxPaths, config: SandboxConfig): void {
  const dns = config.dnsConfig;
  if (dns && (dns.servers.length || dns.searches.length || dns.options.length)) {
    const lines = [
      ...dns.servers.map((s) => `nameserver ${s}`),
      ...(dns.searches.length ? [`search ${dns.searches.join(' ')}`] : []),
      ...(dns.options.length ? [`options ${dns.options.join(' ')}`] : []),
    ];
    writeFileSync(paths.resolvConf, `${lines.join('\n')}\n`);
  } else {
    copyFileSync('/etc/resolv.conf', paths.resolvConf);
  }
  writeFileSync(paths.hostnameFile, `${paths.hostname}\n`);
}

/** deleteRecord deletes a container record and its snapshot; absent ones are fine. */
export async function deleteRecord(ctx: RuntimeContext, record: ContainerRecord): Promise<void> {
  await ctx.client.call('containers', 'Delete', { id: record.id }).catch((err: unknown) => {
    if (!isNotFound(err)) throw err;
  });
  if (record.snapshotKey) {
    await ctx.client
      .call('snapshots', 'Remove', { snapshotter, key: record.snapshotKey })
      .catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
  }
}

/**
 * runPodSandbox makes a pod: its files, a network namespace wired by CNI, and the infra task
 * (the pause image) holding its namespaces. Any failure undoes every step.
 */
export async function runPodSandbox(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'RunPodSandbox'>,
): Promise<RpcResponse<'RunPodSandbox'>> {
  const config = req.config;
  const meta = config?.metadata;
  if (!config || !meta?.name || !meta.namespace) {
    throw new SkiffError(
      'Invalid',
      'pod sandbox config needs metadata with a name and a namespace',
    );
  }
  const ports = cniPortMappings(config.portMappings ?? []);
  const seccomp = seccompSection(config.linux?.securityContext, defaultCapabilities);
  const key = JSON.stringify([meta.name, meta.namespace, meta.uid, meta.attempt]);
  const [existing, image] = await Promise.all([listRecords(ctx, 'sandbox'), ensurePauseImage(ctx)]);
  for (const s of existing) {
    const m = parseJson<{ name: string; namespace: string; uid: string; attempt: number }>(
      s.labels,
      label.metadata,
      { name: '', namespace: '', uid: '', attempt: 0 },
    );
    if (JSON.stringify([m.name, m.namespace, m.uid, m.attempt]) === key) {
      throw new SkiffError(
        'AlreadyExists',
        `pod sandbox ${meta.namespace}/${meta.name} exists as ${s.id}`,
      );
    }
  }
  const id = newId();
  const paths = sandboxPaths(ctx, id, config.hostname || hostHostname());
  mkdirSync(sandboxDir(ctx, id), { recursive: true });
  let networked = false;
  let wired: Promise<string> | undefined;
  let record: ContainerRecord | undefined;
  try {
    writePodFiles(paths, config);
    await createNetns(id);
    networked = true;
    // CNI wires the namespace while the infra container and its task are made: the task only
    // needs the namespace to exist, and its process starts once the address is known.
    wired = connectPodNetwork(ctx.network, id, ports);
    wired.catch(() => {});
    const labels = {
      [label.kind]: 'sandbox',
      [label.metadata]: JSON.stringify({
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        attempt: meta.attempt,
      }),
      [label.labels]: JSON.stringify(config.labels),
      [label.annotations]: JSON.stringify(config.annotations),
      [label.createdAt]: nowNanos(),
      [label.hostname]: paths.hostname,
      [label.logPath]: config.logDirectory,
      ...(ports.length ? { [label.portMappings]: JSON.stringify(ports) } : {}),
    };
    const made = await withLease(ctx.client, async (lease) => {
      const { mounts } = await ctx.client.call<{ mounts: Mount[] }>(
        'snapshots',
        'Prepare',
        { snapshotter, key: id, parent: image.chainId },
        { lease },
      );
      const { container } = await ctx.client.call<{ container: ContainerRecord }>(
        'containers',
        'Create',
        {
          container: {
            id,
            labels,
            image: ctx.options.pauseImage,
            runtime: { name: shimName, options: runcOptions(runcRoot(ctx)) },
            spec: anyMessage(specTypeUrl, sandboxSpec(id, image.config, paths, seccomp)),
            snapshotter,
            snapshotKey: id,
          },
        },
        { lease },
      );
      return { container, mounts };
    });
    record = made.container;
    await startTask(ctx, record, undefined, {
      mounts: made.mounts,
      labels: wired.then((ip) => ({ [label.ip]: ip })),
    });
    return { podSandboxId: id };
  } catch (err) {
    await wired?.catch(() => {});
    if (record) await deleteRecord(ctx, record).catch(() => {});
    else await ctx.client.call('snapshots', 'Remove', { snapshotter, key: id }).catch(() => {});
    if (networked) await tearDownPodNetwork(ctx.network, id, ports);
    rmSync(sandboxDir(ctx, id), { recursive: true, force: true });
    if (err instanceof SkiffError) throw err;
    throw containerdError(err, 'cannot run the pod sandbox');
  }
}

/** stopPodSandbox kills the pod's containers and infra task and releases its network. */
export async function stopPodSandbox(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'StopPodSandbox'>,
): Promise<RpcResponse<'StopPodSandbox'>> {
  const sandbox = await mustFind(ctx, 'sandbox', req.podSandboxId);
  for (const c of await listRecords(ctx, 'container', sandbox.id)) await stopTask(ctx, c.id, 0);
  await stopTask(ctx, sandbox.id, 0);
  const ports = parseJson<CniPortMapping[]>(sandbox.labels, label.portMappings, []);
  await tearDownPodNetwork(ctx.network, sandbox.id, ports);
  return {};
}

/** removePodSandbox stops the pod, then deletes its containers, snapshots and files. */
export async function removePodSandbox(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'RemovePodSandbox'>,
): Promise<RpcResponse<'RemovePodSandbox'>> {
  const sandbox = await findRecord(ctx, 'sandbox', req.podSandboxId);
  if (!sandbox) return {};
  await stopPodSandbox(ctx, { podSandboxId: sandbox.id });
  for (const c of await listRecords(ctx, 'container', sandbox.id)) await deleteRecord(ctx, c);
  await deleteRecord(ctx, sandbox);
  rmSync(sandboxDir(ctx, sandbox.id), { recursive: true, force: true });
  return {};
}

type SandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

async function stateOf(ctx: RuntimeContext, id: string): Promise<SandboxState> {
  const task = await taskOf(ctx, id);
  return task?.status === 'RUNNING' ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY';
}

function common(record: ContainerRecord) {
  return {
    id: record.id,
    metadata: parseJson(record.labels, label.metadata, {}),
    createdAt: record.labels[label.createdAt] ?? '0',
    labels: parseJson<Record<string, string>>(record.labels, label.labels, {}),
    annotations: parseJson<Record<string, string>>(record.labels, label.annotations, {}),
    runtimeHandler: '',
  };
}

/** podSandboxStatus answers PodSandboxStatus; an unknown sandbox is NotFound. */
export async function podSandboxStatus(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'PodSandboxStatus'>,
): Promise<RpcResponse<'PodSandboxStatus'>> {
  const record = await mustFind(ctx, 'sandbox', req.podSandboxId);
  const state = await stateOf(ctx, record.id);
  return {
    status: {
      ...common(record),
      state,
      network: { ip: state === 'SANDBOX_READY' ? (record.labels[label.ip] ?? '') : '' },
      linux: { namespaces: { options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
    },
  };
}

/** listPodSandbox answers ListPodSandbox with the filter's id prefix, state and labels. */
export async function listPodSandbox(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'ListPodSandbox'>,
): Promise<RpcResponse<'ListPodSandbox'>> {
  const f = req.filter;
  const items = [];
  for (const r of await listRecords(ctx, 'sandbox')) {
    if (f?.id && !r.id.startsWith(f.id)) continue;
    const c = common(r);
    if (!matchesSelector(c.labels, f?.labelSelector)) continue;
    const state = await stateOf(ctx, r.id);
    if (f?.state && f.state.state !== state) continue;
    items.push({ ...c, state });
  }
  return { items };
}
