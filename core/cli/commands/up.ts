import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { describeConfig, loadConfiguredPlugins, plural } from './plugin-set.ts';
import { startServer, untilSignal } from './server.ts';

// What a running cluster needs that `skiff up` does not start yet; kept honest by hand until
// each part lands and up starts it.
const notYetStarted = ['scheduler', 'controllers', 'node agent and its container runtime'];

/** defaultDataDir is where skiff keeps cluster state when --data-dir is not given. */
export function defaultDataDir(): string {
  return join(homedir(), '.skiff');
}

interface UpOptions {
  config?: string;
  dataDir: string;
  port: string;
  store?: string;
}

/**
 * registerUpCommand adds `skiff up`: check the configured plugins, then run what exists of a
 * one-machine cluster in the foreground (today: the store and the API server) until Ctrl-C.
 */
export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description(
      'run a one-machine cluster in the foreground until Ctrl-C (today: store and API server)',
    )
    .option('-c, --config <file>', 'cluster config file (YAML); default: every built-in plugin')
    .option('-d, --data-dir <dir>', 'where cluster state is kept', defaultDataDir())
    .option('--port <port>', 'the API server HTTPS port (0 picks a free one)', '6443')
    .option(
      '--store <spec>',
      'sqlite:/path/file.db or etcd:http://host:2379[,...] (default: sqlite in the data dir)',
    )
    .action(async (opts: UpOptions) => {
      const say = (line: string) => process.stdout.write(`${line}\n`);
      const { config, loaded } = await loadConfiguredPlugins(opts.config, 'info');
      try {
        say(`loaded ${plural(loaded.plugins.length)} from ${describeConfig(config)}:`);
        for (const p of loaded.plugins) {
          say(
            `  ${p.id} ${p.version} (${p.source}) provides ${p.provides.join(', ') || 'nothing'}`,
          );
        }
        say(`data dir: ${resolve(opts.dataDir)}`);
        const server = await startServer({
          dataDir: opts.dataDir,
          port: opts.port,
          store: opts.store,
          listenHost: '127.0.0.1',
        });
        say(`API server listening on ${server.url} (store: ${opts.store ?? 'embedded SQLite'})`);
        say('not implemented yet, so not started:');
        for (const part of notYetStarted) say(`  - ${part}`);
        say(`cluster API ready; to use it with kubectl:\n  export KUBECONFIG=${server.kubeconfig}`);
        const signal = await untilSignal();
        say(`${signal}: stopping`);
        await server.close();
        say('stopped');
      } finally {
        await loaded.close();
      }
    });
}
