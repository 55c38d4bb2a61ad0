import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { type DependencyContainer, container as rootContainer } from 'tsyringe';
import { isSkiffError, SkiffError } from '../../sdk/errors.ts';
import {
  type Disposer,
  type ExtensionKind,
  extensionKey,
  type Logger,
  type PluginContext,
  type PluginDefinition,
  pluginProblems,
} from '../../sdk/plugin.ts';
import { clockToken, loggerToken, pluginConfigToken } from '../../sdk/tokens.ts';
import { sdkVersion as runningSdkVersion } from '../../sdk/version.ts';
import {
  type Candidate,
  duplicateRefusals,
  type Refusal,
  refusalError,
  registrationOrder,
  requirementRefusals,
  sdkRefusals,
} from './checks.ts';
import { streamLogger, withFields } from './logger.ts';
import { type ResolvedSource, resolvePluginSource, type SourceKind } from './resolve-source.ts';

/**
 * PluginSource names where a plugin comes from: a built-in id, a path or a package name, alone
 * or with the plugin's config section as the cluster config file writes it.
 */
export type PluginSource = string | { readonly source: string; readonly config?: PluginConfig };

type PluginConfig = Readonly<Record<string, unknown>>;

/** LoadPluginsOptions says what to load and into which container. */
export interface LoadPluginsOptions {
  readonly sources: readonly PluginSource[];
  /** config holds config sections by plugin id, for sources given without their own config. */
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

/** LoadedPlugin is a registered plugin with where it came from. */
export interface LoadedPlugin {
  readonly id: string;
  readonly version: string;
  readonly sdk: string;
  readonly description?: string;
  readonly provides: readonly string[];
  readonly requires: readonly string[];
  readonly source: string;
  readonly sourceKind: SourceKind;
  readonly file: string;
  readonly container: DependencyContainer;
}

/** LoadedPlugins is the outcome of a successful load: the plugins and what they provide. */
export interface LoadedPlugins {
  readonly plugins: readonly LoadedPlugin[];
  extension<T>(kind: ExtensionKind<T>, name: string): T | undefined;
  extensions<T>(kind: ExtensionKind<T>): ReadonlyMap<string, T>;
  /** close runs the plugins' disposers in reverse registration order. */
  close(): Promise<void>;
}

interface Found extends Candidate {
  readonly resolved: ResolvedSource;
  readonly config: PluginConfig;
}

const systemClock = { now: () => new Date() };

async function importPlugin(
  entry: PluginSource,
  baseDir: string,
  builtinDir: string | undefined,
): Promise<Found | Refusal> {
  const source = typeof entry === 'string' ? entry : entry.source;
  let resolved: ResolvedSource;
  let mod: { default?: unknown };
  try {
    resolved = resolvePluginSource(source, baseDir, builtinDir);
    mod = (await import(pathToFileURL(resolved.file).href)) as { default?: unknown };
  } catch (err) {
    const message = isSkiffError(err)
      ? err.message
      : `plugin source "${source}" failed to import: ${err instanceof Error ? err.message : String(err)}`;
    return { code: isSkiffError(err) ? err.code : 'PluginInvalid', plugin: source, message };
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

  const imported = await Promise.all(opts.sources.map((s) => importPlugin(s, baseDir, opts.builtinDir)));
  refuseIfAny(imported.filter((f): f is Refusal => 'code' in f));
  const found = imported as Found[];
  refuseIfAny(sdkRefusals(found, sdkVersion));
  refuseIfAny(duplicateRefusals(found));
  refuseIfAny(requirementRefusals(found, (id) => base.isRegistered(id, true)));
  const ordered = registrationOrder(found);
  if ('refusal' in ordered) throw refusalError([ordered.refusal]);

  const registry = new Map<string, Map<string, unknown>>();
  const disposers: Disposer[] = [];
  const containers: DependencyContainer[] = [];
  const loaded: LoadedPlugin[] = [];
  const close = async (): Promise<void> => {
    const failures: unknown[] = [];
    for (const dispose of disposers.splice(0).reverse()) {
      try {
        await dispose();
      } catch (err) {
        failures.push(err);
      }
    }
    for (const c of containers.splice(0).reverse()) await c.dispose();
    if (failures.length > 0) throw new AggregateError(failures, 'closing plugins failed');
  };

  for (const found of ordered.order as Found[]) {
    const { def } = found;
    const config = Object.freeze({ ...(opts.config?.[def.id] ?? {}), ...found.config });
    const child = base.createChildContainer();
    containers.push(child);
    const pluginLogger = withFields(logger, { plugin: def.id });
    child.register(loggerToken, { useValue: pluginLogger });
    child.register(pluginConfigToken, { useValue: config });
    const provided = new Set<string>();
    let ctxFault: SkiffError | undefined;
    const fault = (message: string): SkiffError => {
      ctxFault = new SkiffError('PluginInvalid', `plugin "${def.id}" ${def.version} ${message}`, {
        details: { kind: 'Plugin', name: def.id },
      });
      return ctxFault;
    };
    const ctx: PluginContext = {
      id: def.id,
      container: child,
      config,
      logger: pluginLogger,
      provide(kind, name, value) {
        const key = extensionKey(kind, name);
        if (!def.provides.includes(key)) {
          throw fault(
            `provided "${key}", which its definition does not declare: add "${key}" to provides`,
          );
        }
        if (provided.has(key)) throw fault(`provided "${key}" twice`);
        provided.add(key);
        const byName = registry.get(kind.kind) ?? new Map<string, unknown>();
        registry.set(kind.kind, byName.set(name, value));
      },
      extension: (kind, name) => registry.get(kind.kind)?.get(name) as never,
      onClose(dispose) {
        disposers.push(dispose);
      },
    };
    try {
      await def.register(ctx);
      // A plugin that swallowed a refusal from ctx is still refused.
      if (ctxFault) throw ctxFault;
      const missing = def.provides.filter((key) => !provided.has(key));
      if (missing.length > 0) {
        throw fault(
          `declares ${missing.map((k) => `"${k}"`).join(', ')} in provides but did not provide it in register(): call ctx.provide for it or drop it from provides`,
        );
      }
    } catch (err) {
      await close().catch((closeErr: unknown) =>
        logger.error('closing plugins after a failed register', { error: String(closeErr) }),
      );
      if (err === ctxFault && ctxFault) throw ctxFault;
      throw new SkiffError(
        'PluginRegisterFailed',
        `plugin "${def.id}" ${def.version} failed to register: ${err instanceof Error ? err.message : String(err)}; nothing was started: fix the plugin or its config section and start again`,
        { cause: err, details: { kind: 'Plugin', name: def.id } },
      );
    }
    loaded.push({
      id: def.id,
      version: def.version,
      sdk: def.sdk,
      description: def.description,
      provides: [...def.provides],
      requires: [...(def.requires ?? [])],
      source: found.source,
      sourceKind: found.resolved.kind,
      file: found.resolved.file,
      container: child,
    });
    pluginLogger.debug('plugin registered', { version: def.version, source: found.source });
  }

  return {
    plugins: loaded,
    extension: (kind, name) => registry.get(kind.kind)?.get(name) as never,
    extensions: <T>(kind: ExtensionKind<T>) =>
      new Map(registry.get(kind.kind) ?? []) as ReadonlyMap<string, T>,
    close,
  };
}
