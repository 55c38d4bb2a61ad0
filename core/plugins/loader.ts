import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { type DependencyContainer, container as rootContainer } from 'tsyringe';
import { isSkiffError } from '../../sdk/errors.ts';
import { type Logger, type PluginDefinition, pluginProblems } from '../../sdk/plugin.ts';
import { clockToken, loggerToken } from '../../sdk/tokens.ts';
import { sdkVersion as runningSdkVersion } from '../../sdk/version.ts';
import {
  duplicateRefusals,
  type Refusal,
  refusalError,
  registrationOrder,
  requirementRefusals,
  sdkRefusals,
} from './checks.ts';
import { streamLogger } from './logger.ts';
import { type Found, type LoadedPlugins, type PluginConfig, registerInOrder } from './register.ts';
import { type ResolvedSource, resolvePluginSource } from './resolve-source.ts';

export type { LoadedPlugin, LoadedPlugins, PluginConfig } from './register.ts';

/**
 * PluginSource names where a plugin comes from: a built-in id, a path or a package name, alone
 * or with the plugin's config section as the cluster config file writes it.
 */
export type PluginSource = string | { readonly source: string; readonly config?: PluginConfig };

/** LoadPluginsOptions says what to load and into which container. */
export interface LoadPluginsOptions {
  readonly sources: readonly PluginSource[];
  /** config holds config sections by plugin id; a source's own config is laid over it. */
  readonly config?: Readonly<Record<string, PluginConfig>>;
  /** container is the parent of every plugin's container; core tokens are registered in it. */
  readonly container?: DependencyContainer;
  readonly logger?: Logger;
  /** sdkVersion overrides the running sdk version (tests of the compatibility check). */
  readonly sdkVersion?: string;
  /** baseDir is where relative paths and package names resolve from (the config file's folder). */
  readonly baseDir?: string;
  /** builtinDir is the folder of built-in plugins (default: this skiff's plugins/). */
  readonly builtinDir?: string;
}

const systemClock = { now: () => new Date() };

async function importPlugin(
  entry: PluginSource,
  baseDir: string,
  builtinDir: string | undefined,
): Promise<Found | Refusal> {
  const source = typeof entry === 'string' ? entry : entry.source;
  let resolved: ResolvedSource;
  try {
    resolved = resolvePluginSource(source, baseDir, builtinDir);
  } catch (err) {
    if (!isSkiffError(err)) throw err;
    return { code: err.code, plugin: source, message: err.message };
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(resolved.file).href)) as { default?: unknown };
  } catch (err) {
    // definePlugin's own refusal already names the plugin and the fix; add where it came from.
    const why = err instanceof Error ? err.message : String(err);
    return {
      code: isSkiffError(err) ? err.code : 'PluginInvalid',
      plugin: source,
      message: isSkiffError(err)
        ? `${why} (plugin source "${source}", ${resolved.file})`
        : `plugin source "${source}" failed to import from ${resolved.file}: ${why}`,
    };
  }
  const problems = pluginProblems(mod.default);
  if (problems.length > 0) {
    const hint =
      mod.default === undefined
        ? `has no default export: export default definePlugin({ ... }) from ${resolved.file}`
        : `default-exports an invalid plugin: ${problems.join('; ')}`;
    return { code: 'PluginInvalid', plugin: source, message: `plugin source "${source}" ${hint}` };
  }
  const def = mod.default as PluginDefinition;
  return {
    def,
    source,
    resolved,
    config: typeof entry === 'string' ? {} : (entry.config ?? {}),
  };
}

function refuseIfAny(refusals: readonly Refusal[]): void {
  if (refusals.length > 0) throw refusalError(refusals);
}

/**
 * loadPlugins resolves and imports every source, refuses the whole set when any plugin is
 * malformed, built for another sdk, duplicated, missing a requirement or part of a cycle, and
 * only then registers the plugins in dependency order, each in its own child container. When
 * a register() fails, what was registered is disposed and the load fails: nothing starts
 * half-loaded.
 */
export async function loadPlugins(opts: LoadPluginsOptions): Promise<LoadedPlugins> {
  const baseDir = opts.baseDir ?? process.cwd();
  const sdkVersion = opts.sdkVersion ?? runningSdkVersion;
  const logger = opts.logger ?? streamLogger();
  const base = (opts.container ?? rootContainer).createChildContainer();
  if (!base.isRegistered(loggerToken, true)) base.register(loggerToken, { useValue: logger });
  if (!base.isRegistered(clockToken, true)) base.register(clockToken, { useValue: systemClock });

  const imported = await Promise.all(
    opts.sources.map((s) => importPlugin(s, baseDir, opts.builtinDir)),
  );
  refuseIfAny(imported.filter((f): f is Refusal => 'code' in f));
  const found = imported as Found[];
  refuseIfAny(sdkRefusals(found, sdkVersion));
  refuseIfAny(duplicateRefusals(found));
  refuseIfAny(requirementRefusals(found, (id) => base.isRegistered(id, true)));
  const ordered = registrationOrder(found);
  if ('refusal' in ordered) throw refusalError([ordered.refusal]);

  return registerInOrder(ordered.order as Found[], { base, logger, config: opts.config });
}
