import { readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { KubeClient } from '../../../sdk/client/client.ts';
import { SkiffError } from '../../../sdk/errors.ts';
import { connectRuntime, type RuntimeClient } from '../../../sdk/runtime/client.ts';
import { type ServiceType, serviceTypeExtension } from '../../../sdk/service.ts';
import { NodeAgent } from '../../agent/agent.ts';
import { obtainNodeCredential } from '../../agent/join.ts';
import { type NodeServer, startNodeServer } from '../../agent/node-server.ts';
import { ProbeManager } from '../../agent/probes/manager.ts';
import { ServiceProxy } from '../../agent/proxy.ts';
import { type LoadedPlugins, loadPlugins } from '../../plugins/loader.ts';
import { untilSignal } from './server.ts';
import { type NodeRuntime, startNodeRuntime } from './up-runtime.ts';

/** AgentCommandOptions are the flags of `skiff agent`. */
export interface AgentCommandOptions {
  server: string;
  token: string;
  runtime: string;
  runtimeHandler: string[];
  nodeName: string;
  root: string;
  ca?: string;
  nodeIp?: string;
  port: string;
  clusterDns: string[];
  dockerHost?: string;
  serviceProxy?: string;
}

/** RunningAgent is a node agent with its node endpoint. */
export interface RunningAgent {
  agent: NodeAgent;
  endpointPort: number;
  /**
   * stop ends the agent; with stopPods, the node's pods are stopped too (their data stays) and
   * its Service forwarding rules are removed.
   */
  stop(options?: { stopPods?: boolean }): Promise<void>;
}

/** StartAgentOptions say how to run a node agent in this process. */
export interface StartAgentOptions {
  client: KubeClient;
  nodeName: string;
  root: string;
  runtime: RuntimeClient;
  handlers?: ReadonlyMap<string, RuntimeClient>;
  /** joinToken is what the API server presents to the node endpoint. */
  joinToken: string;
  hostIP?: string;
  port?: number;
  clusterDNS?: string[];
  /** serviceTypes forward Services on this node (the agent's service proxy); none: no proxy. */
  serviceTypes?: readonly ServiceType[];
  onError?: (message: string) => void;
}

/**
 * startAgent runs a node agent and its HTTPS endpoint (logs, exec) in this process: the
 * endpoint first, so the Node is registered with its port.
 */
export async function startAgent(opts: StartAgentOptions): Promise<RunningAgent> {
  const agent: NodeAgent = new NodeAgent({
    client: opts.client,
    nodeName: opts.nodeName,
    root: opts.root,
    runtime: opts.runtime,
    handlers: opts.handlers,
    hostIP: opts.hostIP,
    dns: { clusterDNS: opts.clusterDNS ?? [], clusterDomain: 'cluster.local' },
    probes: (events) => new ProbeManager({ events }),
    onError: opts.onError,
  });
  const server: NodeServer = await startNodeServer({
    host: '0.0.0.0',
    port: opts.port ?? 0,
    runtimes: (handler) => agent.runtimeClient(handler),
    token: opts.joinToken,
    findPod: (namespace, name) => agent.findPod(namespace, name),
  });
  agent.node.setDaemonPort(server.port);
  const proxy =
    opts.serviceTypes && opts.serviceTypes.length > 0
      ? new ServiceProxy({ client: opts.client, types: opts.serviceTypes, onError: opts.onError })
      : undefined;
  try {
    await agent.start();
    await proxy?.start();
  } catch (err) {
    await proxy?.stop();
    await agent.stop();
    await server.close();
    throw err;
  }
  return {
    agent,
    endpointPort: server.port,
    async stop(options = {}) {
      // A node leaving for good (its pods stopped too) takes its forwarding rules along.
      if (options.stopPods) await proxy?.close();
      else await proxy?.stop();
      await agent.stop();
      if (options.stopPods) await agent.stopPods();
      await server.close();
    },
  };
}

function parseHandler(value: string, previous: string[]): string[] {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?=unix:\/\/\/.+$/.test(value))
    throw new InvalidArgumentError('use NAME=unix:///path/to/socket');
  return [...previous, value];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** runAgentCommand joins the node with the join token and runs its agent until SIGINT/SIGTERM. */
export async function runAgentCommand(opts: AgentCommandOptions): Promise<void> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const root = resolve(opts.root);
  const ca = opts.ca === undefined ? undefined : readFileSync(resolve(opts.ca), 'utf8');
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError(`--port ${opts.port}: use a port number from 0 to 65535`);
  let started: NodeRuntime | undefined;
  let endpoint = opts.runtime;
  if (!endpoint.startsWith('unix://')) {
    if (endpoint !== 'docker' && endpoint !== 'containerd' && endpoint !== 'microvm')
      throw new InvalidArgumentError(
        `--runtime ${JSON.stringify(endpoint)}: use docker, containerd, microvm or unix:///path`,
      );
    started = await startNodeRuntime(endpoint, root, opts.dockerHost);
    endpoint = started.endpoint;
    say(`runtime ${started.version} serving runtime.v1 on ${endpoint}`);
  }
  const runtime = connectRuntime(endpoint);
  const handlers = new Map<string, RuntimeClient>();
  for (const h of opts.runtimeHandler) {
    const at = h.indexOf('=');
    handlers.set(h.slice(0, at), connectRuntime(h.slice(at + 1)));
  }
  const closeRuntimes = async () => {
    runtime.close();
    for (const c of handlers.values()) c.close();
    await started?.stop();
  };
  let client: KubeClient | undefined;
  let running: RunningAgent;
  let proxyPlugins: LoadedPlugins | undefined;
  try {
    // Service forwarding is opt-in: it rewrites this host's nat table (service-clusterip).
    proxyPlugins = opts.serviceProxy
      ? await loadPlugins({ sources: [opts.serviceProxy] })
      : undefined;
    const serviceTypes = [...(proxyPlugins?.extensions(serviceTypeExtension).values() ?? [])];
    if (proxyPlugins && serviceTypes.length === 0)
      throw new SkiffError(
        'Invalid',
        `--service-proxy ${opts.serviceProxy}: the plugin provides no service-type extension; use service-clusterip`,
      );
    await runtime.waitForReady(30_000);
    const connection = await obtainNodeCredential(opts.server, opts.token, opts.nodeName, ca);
    client = new KubeClient(connection);
    running = await startAgent({
      client,
      nodeName: opts.nodeName,
      root,
      runtime,
      handlers,
      joinToken: opts.token,
      hostIP: opts.nodeIp,
      port,
      clusterDNS: opts.clusterDns,
      serviceTypes,
    });
  } catch (err) {
    client?.close();
    await proxyPlugins?.close();
    await closeRuntimes();
    throw err;
  }
  say(
    `node ${opts.nodeName} registered with ${client.server}; endpoint on port ${running.endpointPort}`,
  );
  await running.agent.node.waitForReady();
  say(`node ${opts.nodeName} is Ready`);
  const signal = await untilSignal();
  say(`${signal}: stopping (containers keep running)`);
  await running.stop();
  await proxyPlugins?.close();
  client.close();
  await closeRuntimes();
}

/** registerAgentCommand adds `skiff agent`: run this machine's pods for a cluster. */
export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description('join this machine to a cluster as a node and run the pods bound to it')
    .requiredOption('--server <url>', 'API server URL (https://host:port)')
    .requiredOption('--token <token>', "the server's join token (<data-dir>/node-token)")
    .requiredOption(
      '--runtime <name|endpoint>',
      'docker or containerd (started here), or the unix:/// socket of a running runtime adapter',
    )
    .option(
      '--runtime-handler <name=endpoint>',
      'another runtime for pods whose RuntimeClass names this handler (repeatable)',
      parseHandler,
      [],
    )
    .option('--node-name <name>', 'the Node name', hostname())
    .option(
      '--root <dir>',
      'where pod logs and runtime state live',
      join(homedir(), '.skiff', 'agent'),
    )
    .option('--ca <file>', 'CA certificate of the server (<data-dir>/pki/ca.crt)')
    .option('--node-ip <ip>', "the node's InternalIP (default: the first non-loopback IPv4)")
    .option('--port <port>', "the node endpoint's HTTPS port (logs, exec); 0 picks one", '10250')
    .option('--cluster-dns <ip>', 'nameserver for ClusterFirst pods (repeatable)', collect, [])
    .option('--docker-host <url>', 'Docker Engine endpoint for --runtime docker')
    .option(
      '--service-proxy <plugin>',
      "forward Services on this node with a service plugin's service types (service-clusterip: iptables in this host's nat table)",
    )
    .action((opts: AgentCommandOptions) => runAgentCommand(opts));
}
