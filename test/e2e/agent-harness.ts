import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfiguredPlugins } from '../../core/cli/commands/plugin-set.ts';
import { type ControlPlane, startControlPlane } from '../../core/cli/commands/up-control-plane.ts';
import type { LoadedPlugins } from '../../core/plugins/loader.ts';
import type { Pod } from '../../sdk/api/core/pod.ts';
import { KubeClient } from '../../sdk/client/client.ts';
import { connectRuntime, type RuntimeClient } from '../../sdk/runtime/client.ts';
import { buildImages } from '../fixtures/images/index.ts';
import { type Daemon, startDaemon } from '../harness/daemon.ts';
import {
  type Dockerd,
  type DockerRuntimeProcess,
  freePodSubnet,
  startDockerd,
  startDockerRuntime,
} from '../harness/dockerd.ts';
import { type SkiffServer, startSkiffServer } from './kubectl-harness.ts';

const root = join(import.meta.dirname, '..', '..');

/** AgentCluster is a real server, dockerd, Docker adapter, control plane and `skiff agent`. */
export interface AgentCluster {
  server: SkiffServer;
  client: KubeClient;
  dockerd: Dockerd;
  runtime: DockerRuntimeProcess;
  /** altSubnet is the pod range of the second Docker adapter, served as RuntimeClass handler `alt`. */
  altSubnet: string;
  /** cri talks to the Docker adapter, to look at what the agent made. */
  cri: RuntimeClient;
  nodeName: string;
  /** agentRoot is the agent's --root (pod log directories live under it). */
  agentRoot: string;
  agent(): Daemon;
  /** restartAgent kills the agent with SIGKILL (no clean-up) and starts it again. */
  restartAgent(): Promise<void>;
  stop(): Promise<void>;
}

/** waitFor polls fn until it returns a value, or fails naming what it waited for. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** AgentClusterOptions change how startAgentCluster runs the control plane. */
export interface AgentClusterOptions {
  /** configFile is a cluster config whose plugins (and their values) the control plane runs. */
  configFile?: string;
}

/** startAgentCluster brings up every part; stop() takes all of it down again. */
export async function startAgentCluster(
  images: string[],
  options: AgentClusterOptions = {},
): Promise<AgentCluster> {
  const server = await startSkiffServer();
  const dataDir = join(server.daemon.dir, 'data');
  const client = KubeClient.fromKubeconfig(server.kubeconfig);
  let dockerd: Dockerd | undefined;
  let runtime: DockerRuntimeProcess | undefined;
  let alt: DockerRuntimeProcess | undefined;
  const altSubnet = freePodSubnet();
  let loaded: LoadedPlugins | undefined;
  let control: ControlPlane | undefined;
  let agent: Daemon | undefined;
  let cri: RuntimeClient | undefined;
  const nodeName = 'e2e-node';
  const stop = async () => {
    await agent?.stop();
    await control?.stop();
    await loaded?.close();
    cri?.close();
    await alt?.daemon.stop();
    await runtime?.daemon.stop();
    await dockerd?.stop();
    client.close();
    await server.daemon.stop();
  };
  try {
    dockerd = await startDockerd();
    await dockerd.loadImages((await buildImages(images)).path);
    runtime = await startDockerRuntime(dockerd, join(server.daemon.dir, 'docker.sock'), {
      subnet: freePodSubnet(),
    });
    // A second adapter on its own pod network, so a pod it runs shows by its address.
    alt = await startDockerRuntime(dockerd, join(server.daemon.dir, 'alt.sock'), {
      subnet: altSubnet,
      network: 'skiff-alt',
    });
    cri = connectRuntime(runtime.endpoint);
    ({ loaded } = await loadConfiguredPlugins(options.configFile, 'warn', client));
    control = startControlPlane(client, loaded);
    const endpoint = runtime.endpoint;
    const token = readFileSync(join(dataDir, 'node-token'), 'utf8').trim();
    const agentRoot = join(server.daemon.dir, 'agent');
    const startAgent = () =>
      startDaemon({
        name: 'skiff-agent',
        command: process.execPath,
        args: () => [
          join(root, 'core/cli/skiff.mjs'),
          'agent',
          '--server',
          client.server,
          '--token',
          token,
          '--ca',
          join(dataDir, 'pki', 'ca.crt'),
          '--runtime',
          endpoint,
          '--runtime-handler',
          `alt=${alt?.endpoint}`,
          '--node-name',
          nodeName,
          '--root',
          agentRoot,
          '--port',
          '0',
          '--node-ip',
          '127.0.0.1',
        ],
        ready: async (dir) => readFileSync(join(dir, 'daemon.log'), 'utf8').includes('is Ready'),
        readyTimeoutMs: 60_000,
      });
    agent = await startAgent();
    return {
      server,
      client,
      dockerd,
      runtime,
      altSubnet,
      cri,
      nodeName,
      agentRoot,
      agent: () => agent as Daemon,
      async restartAgent() {
        agent?.kill('SIGKILL');
        await agent?.stop();
        agent = await startAgent();
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** podsOf lists the pods of a namespace with a label selector. */
export async function podsOf(client: KubeClient, selector: string, namespace = 'default') {
  return (
    await client.list<Pod & { metadata: NonNullable<Pod['metadata']> }>(
      { group: '', version: 'v1', plural: 'pods', namespace },
      { labelSelector: selector },
    )
  ).items;
}

/** ExtraNode is a second node: its own dockerd, Docker adapter and `skiff agent`. */
export interface ExtraNode {
  nodeName: string;
  dockerd: Dockerd;
  agent: Daemon;
  stop(): Promise<void>;
}

/**
 * startExtraNode joins another node to the cluster. It gets a dockerd of its own because an
 * agent cleans up every pod its runtime shows that is not bound to it, so two agents sharing
 * one dockerd would remove each other's pods.
 */
export async function startExtraNode(
  cluster: AgentCluster,
  nodeName: string,
  images: string[],
): Promise<ExtraNode> {
  const dir = cluster.server.daemon.dir;
  const dataDir = join(dir, 'data');
  let dockerd: Dockerd | undefined;
  let runtime: DockerRuntimeProcess | undefined;
  let agent: Daemon | undefined;
  const stop = async () => {
    await agent?.stop();
    await runtime?.daemon.stop();
    await dockerd?.stop();
  };
  try {
    dockerd = await startDockerd();
    await dockerd.loadImages((await buildImages(images)).path);
    runtime = await startDockerRuntime(dockerd, join(dir, `${nodeName}.sock`), {
      subnet: freePodSubnet(),
    });
    const endpoint = runtime.endpoint;
    const token = readFileSync(join(dataDir, 'node-token'), 'utf8').trim();
    agent = await startDaemon({
      name: `skiff-agent-${nodeName}`,
      command: process.execPath,
      args: () => [
        join(root, 'core/cli/skiff.mjs'),
        'agent',
        '--server',
        cluster.client.server,
        '--token',
        token,
        '--ca',
        join(dataDir, 'pki', 'ca.crt'),
        '--runtime',
        endpoint,
        '--node-name',
        nodeName,
        '--root',
        join(dir, `agent-${nodeName}`),
        '--port',
        '0',
        '--node-ip',
        '127.0.0.1',
      ],
      ready: async (d) => readFileSync(join(d, 'daemon.log'), 'utf8').includes('is Ready'),
      readyTimeoutMs: 60_000,
    });
    return { nodeName, dockerd, agent, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
