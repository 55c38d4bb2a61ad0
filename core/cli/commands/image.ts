import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { SkiffError } from '../../../sdk/errors.ts';
import { runtimeExtension } from '../../../sdk/runtime/adapter.ts';
import { canImportImages, importOnlyOption } from '../../../sdk/runtime/image-import.ts';
import { loadPlugins } from '../../plugins/loader.ts';
import { type LogLevel, streamLogger } from '../../plugins/logger.ts';
import { runtimePluginConfig } from './runtime.ts';

/** ImageImportOptions are the flags of `skiff image import`. */
export interface ImageImportOptions {
  runtime: string;
  plugin?: string;
  dockerHost?: string;
  stateDir?: string;
  option: string[];
  logLevel: LogLevel;
}

/**
 * importImageFiles loads image tarballs into a node's runtime. The runtime.v1 protocol has no
 * import call, so the runtime plugin is loaded in this process and its adapter imports
 * directly into the runtime's image store (Docker, containerd), which the served adapter shares.
 */
export async function importImageFiles(
  files: string[],
  opts: ImageImportOptions,
): Promise<string[]> {
  const paths = files.map((f) => resolve(f));
  for (const p of paths) {
    if (!existsSync(p) || !statSync(p).isFile()) {
      throw new SkiffError('NotFound', `${p}: no such file`);
    }
  }
  const logger = streamLogger({ level: opts.logLevel, fields: { runtime: opts.runtime } });
  const config = {
    ...runtimePluginConfig({ ...opts, listen: '', graceSeconds: '0' }),
    [importOnlyOption]: true,
  };
  const source = opts.plugin ?? `runtime-${opts.runtime}`;
  const loaded = await loadPlugins({ sources: [{ source, config }], logger });
  try {
    const factory = loaded.extension(runtimeExtension, opts.runtime);
    if (!factory)
      throw new SkiffError('NotFound', `plugin ${source} provides no runtime/${opts.runtime}`);
    const adapter = await factory({ config, logger });
    try {
      if (!canImportImages(adapter)) {
        throw new SkiffError(
          'Unimplemented',
          `runtime ${opts.runtime} cannot import image archives`,
        );
      }
      const names: string[] = [];
      for (const p of paths) names.push(...(await adapter.importImages(p)));
      return names;
    } finally {
      await adapter.close();
    }
  } finally {
    await loaded.close();
  }
}

/** registerImageCommand adds `skiff image import FILE.tar...`. */
export function registerImageCommand(program: Command): void {
  const image = program
    .command('image')
    .description('manage the images of this node’s container runtime');
  image
    .command('import')
    .description(
      'import image tarballs (docker save archives or OCI image layouts) into the node runtime',
    )
    .argument('<files...>', 'image tarballs; each may hold several images')
    .option(
      '--runtime <name>',
      'runtime to import into (the built-in plugin runtime-<name>)',
      'docker',
    )
    .option('--plugin <source>', 'load the runtime from this plugin (a path or package) instead')
    .option('--docker-host <url>', 'plugin option dockerHost: the Docker Engine endpoint')
    .option('--state-dir <dir>', 'plugin option stateDir: where the runtime keeps its state')
    .option(
      '-o, --option <key=value>',
      'any other plugin option (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--log-level <level>', 'debug, info, warn or error', 'warn')
    .action(async (files: string[], opts: ImageImportOptions) => {
      const names = await importImageFiles(files, opts);
      process.stdout.write(names.map((n) => `imported ${n}\n`).join(''));
    });
}
