import { readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { KubeClient } from '../../../sdk/client/client.ts';
import { SkiffError } from '../../../sdk/errors.ts';
import { connectRuntime, type RuntimeClient } from '../../../sdk/runtime/client.ts';
import { parseRegistryMirrors } from '../../../sdk/runtime/registry-pull.ts';
import { serviceTypeExtension } from '../../../sdk/service.ts';
import {
  defaultServiceCidr,
  dnsServiceOffset,
  parseIpv4Cidr,
  serviceAddress,
} from '../../../sdk/service-network.ts';
import { type RunningAgent, startAgent } from './agent.ts';
import { describeConfig, loadConfiguredPlugins, plural } from './plugin-set.ts';
import { startServer, untilSignal } from './server.ts';
import { type ControlPlane, startControlPlane } from './up-control-plane.ts';
import { type NodeRuntime, startNodeRuntime } from './up-runtime.ts';

// What a running cluster needs that `skiff up` does not start yet; kept honest by hand until
// each part lands and up starts it.
const notYetStarted: string[] = [];

/** defaultDataDir is where skiff keeps cluster state when --data-dir is not given. */
export function defaultDataDir(): string {
  return join(homedir(), '.skiff');
}

interface UpOptions {
  config?: string;
  dataDir: string;
  port: string;
  store?: string;
  runtime: string;
  dockerHost?: string;
  /** registryMirror holds `domain=url` entries for the runtime's pulls. */
  registryMirror: string[];
  /** serviceProxy: the node forwards Services with the loaded service types (iptables). */
  serviceProxy: boolean;
}

// Each --registry-mirror entry is checked as it is parsed, so a typo stops `skiff up` at once.
function mirrorEntry(value: string, previous: string[]): string[] {
  const parsed = parseRegistryMirrors(value);
  if ('error' in parsed) throw new InvalidArgumentError(parsed.error);
  return [...previous, value];
}

/**
 * registerUpCommand adds `skiff up`: check the configured plugins, then run what exists of a
 * one-machine cluster in the foreground (today: the store and the API server) until Ctrl-C.
 */
export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description(
      'run a one-machine cluster in the foreground until Ctrl-C: store, API server, scheduler, controllers, runtime',
    )
    .option('-c, --config <file>', 'cluster config file (YAML); default: every built-in plugin')
    .option('-d, --data-dir <dir>', 'where cluster state is kept', defaultDataDir())
    .option('--port <port>', 'the API server HTTPS port (0 picks a free one)', '6443')
    .option(
      '--store <spec>',
      'sqlite:/path/file.db or etcd:http://host:2379[,...] (default: sqlite in the data dir)',
    )
    .option(
      '--runtime <name>',
      'container runtime of the node: containerd (a private instance under the data dir), docker or microvm; none runs no node',
      'containerd',
    )
    .option('--docker-host <url>', 'Docker Engine endpoint for --runtime docker')
    .option(
      '--registry-mirror <domain=url>',
      'pull images of this registry from this mirror first, e.g. docker.io=http://127.0.0.1:5000 (repeatable; containerd and microvm runtimes: dockerd has its own registry-mirrors)',
      mirrorEntry,
      [],
    )
    .option(
      '--no-service-proxy',
      "do not forward Services on this machine (by default the node programs the host's nat table)",
    )
    .action(async (opts: UpOptions) => {
      const say = (line: string) => process.stdout.write(`${line}\n`);
      if (opts.runtime === 'docker' && opts.registryMirror.length > 0) {
        throw new SkiffError(
          'BadRequest',
          '--registry-mirror does not apply to --runtime docker: dockerd pulls with its own registry-mirrors setting',
        );
      }
      // Refuse a bad plugin before anything starts; then start the API server and load the
      // plugins for real, with the cluster's API client for those that need it.
      const checked = await loadConfiguredPlugins(opts.config, 'warn');
      await checked.loaded.close();
      // The Service ranges come from the cluster config's server section (the DNS plugin
      // reads the same keys to place kube-dns).
      const network = checked.config.server ?? {};
      const setting = (v: unknown) => (typeof v === 'string' ? v : undefined);
      const server = await startServer({
        dataDir: opts.dataDir,
        port: opts.port,
        store: opts.store,
        listenHost: '127.0.0.1',
        serviceCidr: setting(network.serviceCIDR),
        serviceNodePortRange: setting(network.serviceNodePortRange),
      });
      const client = KubeClient.fromKubeconfig(server.kubeconfig);
      let plugins: Awaited<ReturnType<typeof loadConfiguredPlugins>>;
      try {
        plugins = await loadConfiguredPlugins(opts.config, 'info', client);
      } catch (err) {
        client.close();
        await server.close();
        throw err;
      }
      const { config, loaded } = plugins;
      try {
        say(`loaded ${plural(loaded.plugins.length)} from ${describeConfig(config)}:`);
        for (const p of loaded.plugins) {
          say(
            `  ${p.id} ${p.version} (${p.source}) provides ${p.provides.join(', ') || 'nothing'}`,
          );
        }
        say(`data dir: ${resolve(opts.dataDir)}`);
        say(`API server listening on ${server.url} (store: ${opts.store ?? 'embedded SQLite'})`);
        let runtime: NodeRuntime | undefined;
        let control: ControlPlane | undefined;
        let agent: RunningAgent | undefined;
        let runtimeClient: RuntimeClient | undefined;
        try {
          control = startControlPlane(client, loaded);
          say(
            control.schedulerPlugins > 0
              ? `scheduler running with ${control.schedulerPlugins} plugins`
              : 'scheduler not started: no loaded plugin provides the default binder',
          );
          say(`controllers running: ${control.controllers.join(', ') || 'none'}`);
          say(`components running: ${control.components.join(', ') || 'none'}`);
          if (opts.runtime !== 'none') {
            runtime = await startNodeRuntime(opts.runtime, resolve(opts.dataDir), opts.dockerHost, {
              ...(opts.registryMirror.length > 0
                ? { registryMirrors: opts.registryMirror.join(',') }
                : {}),
            });
            say(`runtime ${runtime.version} serving runtime.v1 on ${runtime.endpoint}`);
            for (const image of runtime.imported) say(`  imported ${image}`);
            // One node agent in this process, on the runtime just started, named after the host.
            const dataDir = resolve(opts.dataDir);
            runtimeClient = connectRuntime(runtime.endpoint);
            agent = await startAgent({
              client,
              nodeName: hostname().toLowerCase(),
              root: join(dataDir, 'agent'),
              runtime: runtimeClient,
              joinToken: readFileSync(join(dataDir, 'node-token'), 'utf8').trim(),
              serviceTypes: opts.serviceProxy
                ? [...loaded.extensions(serviceTypeExtension).values()]
                : [],
              clusterDNS: clusterDns(
                opts.serviceProxy && loaded.extensions(serviceTypeExtension).size > 0,
                control.components,
                setting(network.serviceCIDR),
              ),
            });
            say(
              `node agent running as node ${hostname().toLowerCase()}; waiting for it to be Ready`,
            );
            await agent.agent.node.waitForReady();
            say(`node ${hostname().toLowerCase()} is Ready`);
            const forwarding = opts.serviceProxy
              ? [...loaded.extensions(serviceTypeExtension).keys()]
              : [];
            say(
              forwarding.length > 0
                ? `Services forwarded on this node by: ${forwarding.join(', ')}`
                : 'Services are not forwarded on this node (--no-service-proxy or no service type loaded)',
            );
          }
        } catch (err) {
          await agent?.stop();
          runtimeClient?.close();
          await runtime?.stop();
          await control?.stop();
          client.close();
          await server.close();
          throw err;
        }
        if (notYetStarted.length > 0) say('not implemented yet, so not started:');
        for (const part of notYetStarted) say(`  - ${part}`);
        say(
          `${agent ? 'cluster ready' : 'cluster API ready (no node)'}; to use it with kubectl:\n  export KUBECONFIG=${server.kubeconfig}`,
        );
        const signal = await untilSignal();
        say(`${signal}: stopping`);
        // Everything up started stops with it, the node's pods too; the next run starts them again.
        await agent?.stop({ stopPods: true });
        runtimeClient?.close();
        await runtime?.stop();
        await control.stop();
        client.close();
        await server.close();
        say('stopped');
      } finally {
        await loaded.close();
      }
    });
}

/**
 * clusterDns is the nameserver ClusterFirst pods get: kube-dns's Service address, which only
 * answers where this node forwards Services and the DNS component runs; otherwise none (pods
 * then use the host's resolvers, as the agent does without --cluster-dns).
 */
function clusterDns(forwarding: boolean, components: string[], serviceCidr?: string): string[] {
  if (!forwarding || !components.includes('dns')) return [];
  const cidr = parseIpv4Cidr(serviceCidr ?? defaultServiceCidr);
  return 'error' in cidr ? [] : [serviceAddress(cidr, dnsServiceOffset)];
}
