import type { Command } from 'commander';
import { isSkiffError } from '../../../sdk/errors.ts';
import { sdkVersion } from '../../../sdk/version.ts';
import type { LoadedPlugin } from '../../plugins/loader.ts';
import { describeConfig, loadConfiguredPlugins, plural } from './plugin-set.ts';

function table(plugins: readonly LoadedPlugin[]): string {
  const rows = [
    ['ID', 'VERSION', 'SDK', 'SOURCE', 'PROVIDES'],
    ...plugins.map((p) => [
      p.id,
      p.version,
      p.sdk,
      `${p.source} (${p.sourceKind})`,
      p.provides.join(',') || '-',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 2)))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

/** registerPluginsCommand adds `skiff plugins list` and `skiff plugins check`. */
export function registerPluginsCommand(program: Command): void {
  const plugins = program
    .command('plugins')
    .description('list or check the plugins a cluster config loads');
  plugins
    .command('list')
    .description(
      'load the configured plugins and print each: id, version, sdk range, source, provides',
    )
    .option('-c, --config <file>', 'cluster config file (YAML); default: every built-in plugin')
    .action(async (opts: { config?: string }) => {
      const { config, loaded } = await loadConfiguredPlugins(opts.config, 'warn');
      try {
        process.stdout.write(`# ${plural(loaded.plugins.length)} from ${describeConfig(config)}\n`);
        process.stdout.write(`${table(loaded.plugins)}\n`);
      } finally {
        await loaded.close();
      }
    });
  plugins
    .command('check')
    .description(
      'load the configured plugins and report whether start-up would refuse any (exit 1)',
    )
    .option('-c, --config <file>', 'cluster config file (YAML); default: every built-in plugin')
    .action(async (opts: { config?: string }) => {
      try {
        const { config, loaded } = await loadConfiguredPlugins(opts.config, 'warn');
        await loaded.close();
        process.stdout.write(
          `ok: ${plural(loaded.plugins.length)} from ${describeConfig(config)} load on sdk ${sdkVersion}\n`,
        );
      } catch (err) {
        if (!isSkiffError(err)) throw err;
        process.stderr.write(`refused (${err.code}): ${err.message}\n`);
        process.exitCode = 1;
      }
    });
}
