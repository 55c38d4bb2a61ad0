import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { builtinKindRegistry } from '../../../sdk/api/builtin-kinds.ts';
import { SkiffError } from '../../../sdk/errors.ts';
import { createApiServer } from '../../server/app.ts';
import { ensureNodeSecret } from '../../server/node-auth.ts';
import { ensurePki, writeAdminKubeconfig } from '../../server/pki.ts';
import { advertiseAddress } from '../../server/service-alloc-kubernetes.ts';
import { openStore } from '../../store/open-store.ts';

/** ServerCommandOptions are the flags of `skiff server`. */
export interface ServerCommandOptions {
  dataDir: string;
  port: string;
  store?: string;
  listenHost: string;
  /** serviceCidr is the Service address range (default 10.43.0.0/16). */
  serviceCidr?: string;
  /** serviceNodePortRange is the node port range (default 30000-32767). */
  serviceNodePortRange?: string;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new SkiffError(
      'BadRequest',
      `--port ${JSON.stringify(value)}: use a port number from 0 to 65535`,
    );
  return port;
}

/** RunningServer is a started API server: where it listens, its kubeconfig, and how to stop it. */
export interface RunningServer {
  url: string;
  kubeconfig: string;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * startServer starts the API server over HTTPS: the CA, serving certificate and admin token are
 * created under the data dir on first start, and the admin kubeconfig is written for the port
 * it listens on.
 */
export async function startServer(opts: ServerCommandOptions): Promise<RunningServer> {
  const port = parsePort(opts.port);
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const store = openStore(opts.store ?? `sqlite:${join(dataDir, 'state.db')}`);
  const host = opts.listenHost;
  const pki = await ensurePki(dataDir, host === '0.0.0.0' || host === '::' ? [] : [host]);
  const server = await createApiServer({
    store,
    kinds: builtinKindRegistry(),
    https: { key: pki.serverKey, cert: pki.serverCert },
    token: pki.adminToken,
    nodes: { joinToken: pki.nodeToken, secret: ensureNodeSecret(dataDir) },
    services: { serviceCidr: opts.serviceCidr, nodePortRange: opts.serviceNodePortRange },
  });
  await server.app.listen({ host, port });
  const address = server.app.server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  await server.announce({ ip: advertiseAddress(host), port: bound });
  const clientHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `https://${clientHost.includes(':') ? `[${clientHost}]` : clientHost}:${bound}`;
  const kubeconfig = writeAdminKubeconfig(dataDir, url, pki);
  return {
    url,
    kubeconfig,
    dataDir,
    async close() {
      await server.app.close();
      await store.close();
    },
  };
}

/** untilSignal resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((done) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** runServer serves until SIGINT/SIGTERM, then closes cleanly. */
export async function runServer(opts: ServerCommandOptions): Promise<void> {
  const server = await startServer(opts);
  process.stdout.write(
    `skiff server listening on ${server.url}\nadmin kubeconfig: ${server.kubeconfig}\n`,
  );
  await untilSignal();
  await server.close();
}

/** registerServerCommand adds `skiff server`: the Kubernetes API over HTTPS, for kubectl. */
export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('serve the Kubernetes API over HTTPS and write an admin kubeconfig for kubectl')
    .option(
      '--data-dir <dir>',
      'where the store, certificates and admin kubeconfig live',
      join(homedir(), '.skiff'),
    )
    .option('--port <port>', 'the HTTPS port (0 picks a free one)', '6443')
    .option(
      '--store <spec>',
      'sqlite:/path/file.db or etcd:http://host:2379[,...] (default: sqlite in the data dir)',
    )
    .option('--listen-host <host>', 'the address to listen on', '127.0.0.1')
    .option('--service-cidr <cidr>', 'the IPv4 range of Service cluster IPs', '10.43.0.0/16')
    .option('--service-node-port-range <range>', 'the range of Service node ports', '30000-32767')
    .action(async (opts: ServerCommandOptions) => {
      await runServer(opts);
    });
}
