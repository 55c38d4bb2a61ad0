import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { SkiffError } from '../../sdk/errors.ts';
import type { RpcRequestReceived, RpcResponse } from '../../sdk/runtime/rpcs.ts';
import { ensurePauseImage } from './images.ts';
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
import { seccompOptions } from './security.ts';

type SandboxConfig = NonNullable<RpcRequestReceived<'RunPodSandbox'>['config']>;
type SandboxMetadata = NonNullable<SandboxConfig['metadata']>;

const hostnamePattern =
  /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

// Networks this process has seen exist; Docker names the network only when a container
// starts, so it is checked once up front rather than discovered by a failed start.
const knownNetworks = new WeakMap<DockerContext, string>();

/** ensureNetwork creates the adapter's bridge network when Docker does not have it. */
export async function ensureNetwork(ctx: DockerContext): Promise<void> {
  await createNetworkIfAbsent(ctx);
  knownNetworks.set(ctx, ctx.options.network);
}

async function createNetworkIfAbsent(ctx: DockerContext): Promise<void> {
  const { network, subnet } = ctx.options;
  try {
    await ctx.docker.getNetwork(network).inspect();
    return;
  } catch (err) {
    if (statusCode(err) !== 404) throw err;
  }
  try {
    await ctx.docker.createNetwork({
      Name: network,
      Driver: 'bridge',
      CheckDuplicate: true,
      IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] },
      Labels: { [label.network]: 'true' },
    });
  } catch (err) {
    // Two sandboxes started at once both find it missing; the loser sees a conflict.
    if (statusCode(err) !== 409) throw err;
  }
}

// Docker keeps each container's resolv.conf at <DockerRootDir>/containers/<id>/resolv.conf;
// knowing the root spares every pod that names DNS servers an inspect to find the file.
const dockerRoots = new WeakMap<DockerContext, string>();

/** learnDockerRoot asks Docker once where it keeps container files. */
export async function learnDockerRoot(ctx: DockerContext): Promise<void> {
  try {
    const root = (await ctx.docker.info()).DockerRootDir;
    if (typeof root === 'string' && root !== '') dockerRoots.set(ctx, root);
  } catch {
    // Not knowing the root only costs an inspect per pod with DNS servers.
  }
}

async function resolvConfPath(ctx: DockerContext, container: Docker.Container): Promise<string> {
  const root = dockerRoots.get(ctx);
  const path = root ? join(root, 'containers', container.id, 'resolv.conf') : '';
  // Docker wrote the file when it started the container; if it is not where expected, ask.
  if (path && existsSync(path)) return path;
  return (await container.inspect()).ResolvConfPath;
}

function checkSandboxConfig(
  config: SandboxConfig | null | undefined,
): asserts config is SandboxConfig & { metadata: SandboxMetadata } {
  if (!config) throw new SkiffError('Invalid', 'pod sandbox config is missing');
  const md = config.metadata;
  if (!md?.name) throw new SkiffError('Invalid', 'pod sandbox metadata.name is empty');
  if (!md.namespace) throw new SkiffError('Invalid', 'pod sandbox metadata.namespace is empty');
  if (!md.uid) throw new SkiffError('Invalid', 'pod sandbox metadata.uid is empty');
  if (config.hostname && !hostnamePattern.test(config.hostname)) {
    throw new SkiffError(
      'Invalid',
      `hostname ${JSON.stringify(config.hostname)} is not a DNS name`,
    );
  }
  for (const p of config.portMappings ?? []) {
    if (p.containerPort <= 0 || p.containerPort > 65535 || p.hostPort < 0 || p.hostPort > 65535) {
      throw new SkiffError(
        'Invalid',
        `port mapping ${p.containerPort}->${p.hostPort} is out of range`,
      );
    }
  }
}

function resolvConf(dns: NonNullable<SandboxConfig['dnsConfig']>): string {
  const lines = dns.servers.map((s) => `nameserver ${s}`);
  if (dns.searches.length) lines.push(`search ${dns.searches.join(' ')}`);
  if (dns.options.length) lines.push(`options ${dns.options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/** runPodSandbox starts the infra container that holds the pod's namespaces. */
export async function runPodSandbox(
  ctx: DockerContext,
  req: RpcRequestReceived<'RunPodSandbox'>,
): Promise<RpcResponse<'RunPodSandbox'>> {
  const config = req.config;
  checkSandboxConfig(config);
  if (req.runtimeHandler && req.runtimeHandler !== 'docker' && req.runtimeHandler !== 'runc') {
    throw new SkiffError('Invalid', `runtime handler ${req.runtimeHandler} is not known here`);
  }
  const md = config.metadata;
  const ns = config.linux?.securityContext?.namespaceOptions;
  const securityOpt = seccompOptions(config.linux?.securityContext);
  const hostNetwork = ns?.network === 'NODE';
  if (!hostNetwork && knownNetworks.get(ctx) !== ctx.options.network) await ensureNetwork(ctx);
  const ports: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of config.portMappings ?? []) {
    const key = `${p.containerPort}/${(p.protocol || 'TCP').toLowerCase()}`;
    ports[key] = {};
    if (p.hostPort > 0) {
      bindings[key] = [
        ...(bindings[key] ?? []),
        { HostIp: p.hostIp, HostPort: String(p.hostPort) },
      ];
    }
  }
  const spec: Docker.ContainerCreateOptions = {
    name: `skiff_POD_${md.name}_${md.namespace}_${md.uid}_${md.attempt}`.replace(
      /[^a-zA-Z0-9_.-]/g,
      '-',
    ),
    Image: ctx.options.pauseImage,
    Hostname: hostNetwork ? undefined : config.hostname || md.name.slice(0, 63),
    Labels: {
      [label.kind]: 'sandbox',
      [label.metadata]: JSON.stringify(md),
      [label.labels]: JSON.stringify(config.labels ?? {}),
      [label.annotations]: JSON.stringify(config.annotations ?? {}),
      [label.created]: nowNanos(),
      [label.logDirectory]: config.logDirectory ?? '',
    },
    ExposedPorts: ports,
    HostConfig: {
      NetworkMode: hostNetwork ? 'host' : ctx.options.network,
      IpcMode: ns?.ipc === 'NODE' ? 'host' : 'shareable',
      PidMode: ns?.pid === 'NODE' ? 'host' : '',
      PortBindings: bindings,
      Dns: config.dnsConfig?.servers ?? [],
      DnsSearch: config.dnsConfig?.searches ?? [],
      DnsOptions: config.dnsConfig?.options ?? [],
      CgroupParent: config.linux?.cgroupParent || undefined,
      RestartPolicy: { Name: 'no' },
      SecurityOpt: securityOpt,
    },
  };
  // Optimistic: the pause image is nearly always there, so it is only built (and the create
  // retried) when Docker says it is missing.
  const created = await ctx.docker
    .createContainer(spec)
    .catch(async (err: unknown) => {
      if (statusCode(err) !== 404) throw err;
      await ensurePauseImage(ctx);
      return ctx.docker.createContainer(spec);
    })
    .catch((err: unknown) => {
      if (statusCode(err) === 409) {
        throw new SkiffError(
          'AlreadyExists',
          `pod sandbox ${md.namespace}/${md.name} attempt ${md.attempt} exists`,
        );
      }
      if (statusCode(err) === 400) throw new SkiffError('Invalid', dockerMessage(err));
      throw err;
    });
  try {
    await created.start().catch(async (err: unknown) => {
      // The network was removed behind this process's back: make it again, once.
      if (statusCode(err) !== 404 || hostNetwork) throw err;
      await ensureNetwork(ctx);
      await created.start();
    });
    if (config.dnsConfig && config.dnsConfig.servers.length > 0 && !hostNetwork) {
      // Docker's embedded DNS would stand in front of the pod's servers; the pod gets exactly
      // what it asked for. Containers joining the sandbox share this very file.
      writeFileSync(await resolvConfPath(ctx, created), resolvConf(config.dnsConfig));
    }
  } catch (err) {
    await created.remove({ force: true }).catch(() => {});
    throw err;
  }
  ctx.remembered.sandboxLabels.set(created.id, spec.Labels ?? {});
  return { podSandboxId: created.id };
}

/** stopPodSandbox stops every container of the sandbox, then its infra container. */
export async function stopPodSandbox(
  ctx: DockerContext,
  req: RpcRequestReceived<'StopPodSandbox'>,
): Promise<RpcResponse<'StopPodSandbox'>> {
  const info = await inspectObject(ctx, 'sandbox', req.podSandboxId);
  const members = await listObjects(ctx, 'container', info.Id);
  // The kubelet has already given each container its grace period; what is left is killed,
  // as the CRI asks of StopPodSandbox.
  await Promise.all(members.map((c) => stopQuietly(ctx.docker.getContainer(c.id), 0)));
  await stopQuietly(ctx.docker.getContainer(info.Id), 10);
  return {};
}

/** stopQuietly stops a container, treating "already stopped" and "gone" as done. */
export async function stopQuietly(
  container: Docker.Container,
  timeoutSeconds: number,
): Promise<void> {
  try {
    await container.stop({ t: Math.max(0, Math.floor(timeoutSeconds)) });
  } catch (err) {
    const code = statusCode(err);
    if (code !== 304 && code !== 404) throw err;
  }
}

/** removePodSandbox removes the sandbox and its containers; an unknown sandbox is already gone. */
export async function removePodSandbox(
  ctx: DockerContext,
  req: RpcRequestReceived<'RemovePodSandbox'>,
): Promise<RpcResponse<'RemovePodSandbox'>> {
  let id: string;
  try {
    id = (await inspectObject(ctx, 'sandbox', req.podSandboxId)).Id;
  } catch (err) {
    if (err instanceof SkiffError && err.code === 'NotFound') return {};
    throw err;
  }
  for (const c of await listObjects(ctx, 'container', id)) {
    ctx.remembered.unstarted.delete(c.id);
    await removeQuietly(ctx.docker.getContainer(c.id));
  }
  await removeQuietly(ctx.docker.getContainer(id));
  ctx.remembered.sandboxLabels.delete(id);
  return {};
}

/** removeQuietly force-removes a container, treating "gone" and "being removed" as done. */
export async function removeQuietly(container: Docker.Container): Promise<void> {
  try {
    await container.remove({ force: true, v: true });
  } catch (err) {
    const code = statusCode(err);
    if (code !== 404 && code !== 409) throw err;
  }
}

function sandboxState(state: string): 'SANDBOX_READY' | 'SANDBOX_NOTREADY' {
  return state === 'running' ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY';
}

function sandboxIp(ctx: DockerContext, info: Docker.ContainerInspectInfo): string {
  const nets = info.NetworkSettings?.Networks ?? {};
  return nets[ctx.options.network]?.IPAddress ?? '';
}

/** podSandboxStatus answers PodSandboxStatus from the infra container's labels and state. */
export async function podSandboxStatus(
  ctx: DockerContext,
  req: RpcRequestReceived<'PodSandboxStatus'>,
): Promise<RpcResponse<'PodSandboxStatus'>> {
  const info = await inspectObject(ctx, 'sandbox', req.podSandboxId);
  const labels = info.Config.Labels ?? {};
  const hostNetwork = info.HostConfig.NetworkMode === 'host';
  const mode = (host: boolean) => (host ? 'NODE' : 'POD');
  const status: RpcResponse<'PodSandboxStatus'> = {
    status: {
      id: info.Id,
      metadata: parseJsonLabel(labels, label.metadata, {}),
      state: sandboxState(info.State.Status),
      createdAt: labels[label.created] ?? isoToNanos(info.Created),
      network: { ip: info.State.Running ? sandboxIp(ctx, info) : '' },
      linux: {
        namespaces: {
          options: {
            network: mode(hostNetwork),
            pid: info.HostConfig.PidMode === 'host' ? 'NODE' : 'CONTAINER',
            ipc: mode(info.HostConfig.IpcMode === 'host'),
          },
        },
      },
      labels: parseJsonLabel(labels, label.labels, {}),
      annotations: parseJsonLabel(labels, label.annotations, {}),
      runtimeHandler: '',
    },
  };
  if (req.verbose) {
    status.info = {
      info: JSON.stringify({
        pid: info.State.Pid,
        image: info.Config.Image,
        hostname: info.Config.Hostname,
      }),
    };
  }
  return status;
}

/** listPodSandbox answers ListPodSandbox, filtering by id (or its prefix), state and labels. */
export async function listPodSandbox(
  ctx: DockerContext,
  req: RpcRequestReceived<'ListPodSandbox'>,
): Promise<RpcResponse<'ListPodSandbox'>> {
  const f = req.filter;
  const items = (await listObjects(ctx, 'sandbox')).map((c) => ({
    id: c.id,
    metadata: parseJsonLabel(c.labels, label.metadata, {}),
    state: sandboxState(c.state),
    createdAt: c.labels[label.created] ?? '0',
    labels: parseJsonLabel<Record<string, string>>(c.labels, label.labels, {}),
    annotations: parseJsonLabel<Record<string, string>>(c.labels, label.annotations, {}),
    runtimeHandler: '',
  }));
  return {
    items: items.filter(
      (s) =>
        (!f?.id || s.id.startsWith(f.id)) &&
        (!f?.state || s.state === f.state.state) &&
        matchesSelector(s.labels, f?.labelSelector),
    ),
  };
}
