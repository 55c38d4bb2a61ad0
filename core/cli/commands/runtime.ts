import type { Command } from 'commander';
import { SkiffError } from '../../../sdk/errors.ts';
import { runtimeExtension } from '../../../sdk/runtime/adapter.ts';
import { serveRuntime } from '../../../sdk/runtime/server.ts';
import { loadPlugins } from '../../plugins/loader.ts';
import { type LogLevel, streamLogger } from '../../plugins/logger.ts';

/** RuntimeCommandOptions are the flags of `skiff runtime NAME`. */
export interface RuntimeCommandOptions {
  listen: string;
  plugin?: string;
  dockerHost?: string;
  stateDir?: string;
  option: string[];
  graceSeconds: string;
  logLevel: LogLevel;
}

/** runtimePluginConfig turns the command's flags into the runtime plugin's config section. */
export function runtimePluginConfig(opts: RuntimeCommandOptions): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  if (opts.dockerHost) config.dockerHost = opts.dockerHost;
  if (opts.stateDir) config.stateDir = opts.stateDir;
  for (const pair of opts.option) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new SkiffError('BadRequest', `--option ${JSON.stringify(pair)} is not key=value`);
    }
    config[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return config;
}

async function runRuntime(name: string, opts: RuntimeCommandOptions): Promise<void> {
  const logger = streamLogger({ level: opts.logLevel, fields: { runtime: name } });
  const graceSeconds = Number(opts.graceSeconds);
  if (!Number.isFinite(graceSeconds) || graceSeconds < 0) {
    throw new SkiffError('BadRequest', `--grace-seconds ${opts.graceSeconds} is not a number ≥ 0`);
  }
  const config = runtimePluginConfig(opts);
  const source = opts.plugin ?? `runtime-${name}`;
  const loaded = await loadPlugins({ sources: [{ source, config }], logger });
  const factory = loaded.extension(runtimeExtension, name);
  if (!factory) {
    await loaded.close();
    throw new SkiffError(
      'NotFound',
      `plugin ${source} provides no runtime/${name}; it provides ${loaded.plugins.flatMap((p) => p.provides).join(', ') || 'nothing'}`,
    );
  }
  const adapter = await factory({ config, logger }).catch(async (err: unknown) => {
    await loaded.close();
    throw err;
  });
  const server = await serveRuntime(adapter, {
    listen: opts.listen,
    graceMs: graceSeconds * 1000,
    logger,
  }).catch(async (err: unknown) => {
    await adapter.close();
    await loaded.close();
    throw err;
  });
  logger.info('serving runtime.v1', { listen: opts.listen, runtimeName: adapter.runtimeName });
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info('stopping', { signal });
  await server.close();
  await loaded.close();
}

/** registerRuntimeCommand adds `skiff runtime NAME --listen unix:///path`: one runtime adapter as its own process. */
export function registerRuntimeCommand(program: Command): void {
  program
    .command('runtime')
    .description(
      'serve a container runtime (runtime.v1, the CRI wire protocol) on a unix socket until SIGTERM or SIGINT',
    )
    .argument(
      '<name>',
      'runtime name: loads the built-in plugin runtime-<name> (docker, containerd, ...)',
    )
    .requiredOption('--listen <endpoint>', 'unix socket to serve on, as unix:///absolute/path.sock')
    .option('--plugin <source>', 'load the runtime from this plugin (a path or package) instead')
    .option('--docker-host <url>', 'plugin option dockerHost: the Docker Engine endpoint')
    .option('--state-dir <dir>', 'plugin option stateDir: where the runtime keeps its state')
    .option(
      '-o, --option <key=value>',
      'any other plugin option (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--grace-seconds <n>', 'how long calls in flight may finish on shutdown', '10')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .action(async (name: string, opts: RuntimeCommandOptions) => {
      await runRuntime(name, opts);
    });
}
