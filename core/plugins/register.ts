import type { DependencyContainer } from 'tsyringe';
import { SkiffError } from '../../sdk/errors.ts';
import {
  type Disposer,
  type ExtensionKind,
  extensionKey,
  type Logger,
  type PluginContext,
} from '../../sdk/plugin.ts';
import { loggerToken, pluginConfigToken } from '../../sdk/tokens.ts';
import type { Candidate } from './checks.ts';
import { withFields } from './logger.ts';
import type { ResolvedSource, SourceKind } from './resolve-source.ts';

/** PluginConfig is one plugin's section of the cluster config. */
export type PluginConfig = Readonly<Record<string, unknown>>;

/** Found is a checked candidate with where it came from and its config section. */
export interface Found extends Candidate {
  readonly resolved: ResolvedSource;
  readonly config: PluginConfig;
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

interface Shared {
  readonly registry: Map<string, Map<string, unknown>>;
  readonly disposers: Disposer[];
  readonly containers: DependencyContainer[];
}

async function closeAll({ disposers, containers }: Shared): Promise<void> {
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
}

// Registers one plugin. A misuse of ctx (providing something undeclared, providing after
// register() returned, not providing what was declared) is a PluginInvalid refusal.
async function registerOne(
  found: Found,
  shared: Shared,
  opts: { base: DependencyContainer; logger: Logger; config?: Record<string, PluginConfig> },
): Promise<LoadedPlugin> {
  const { def } = found;
  const { registry } = shared;
  const config = Object.freeze({ ...(opts.config?.[def.id] ?? {}), ...found.config });
  const child = opts.base.createChildContainer();
  shared.containers.push(child);
  const logger = withFields(opts.logger, { plugin: def.id });
  child.register(loggerToken, { useValue: logger });
  child.register(pluginConfigToken, { useValue: config });
  const provided = new Set<string>();
  let sealed = false;
  let fault: SkiffError | undefined;
  const refuse = (message: string): SkiffError => {
    fault = new SkiffError('PluginInvalid', `plugin "${def.id}" ${def.version} ${message}`, {
      details: { kind: 'Plugin', name: def.id },
    });
    return fault;
  };
  const ctx: PluginContext = {
    id: def.id,
    container: child,
    config,
    logger,
    provide(kind, name, value) {
      const key = extensionKey(kind, name);
      if (sealed)
        throw refuse(`provided "${key}" after register() finished: provide it in register()`);
      if (!def.provides.includes(key)) {
        throw refuse(
          `provided "${key}", which its definition does not declare: add "${key}" to provides`,
        );
      }
      if (provided.has(key)) throw refuse(`provided "${key}" twice`);
      provided.add(key);
      const byName = registry.get(kind.kind) ?? new Map<string, unknown>();
      registry.set(kind.kind, byName.set(name, value));
    },
    extension: (kind, name) => registry.get(kind.kind)?.get(name) as never,
    onClose(dispose) {
      shared.disposers.push(dispose);
    },
  };
  try {
    await def.register(ctx);
    // A plugin that caught a refusal from ctx is still refused.
    if (fault) throw fault;
    const missing = def.provides.filter((key) => !provided.has(key));
    if (missing.length > 0) {
      throw refuse(
        `declares ${missing.map((k) => `"${k}"`).join(', ')} in provides but did not provide it in register(): call ctx.provide for it or drop it from provides`,
      );
    }
  } catch (err) {
    if (err === fault && fault) throw fault;
    throw new SkiffError(
      'PluginRegisterFailed',
      `plugin "${def.id}" ${def.version} failed to register: ${err instanceof Error ? err.message : String(err)}; nothing was started: fix the plugin or its config section and start again`,
      { cause: err, details: { kind: 'Plugin', name: def.id } },
    );
  } finally {
    sealed = true;
  }
  logger.debug('plugin registered', { version: def.version, source: found.source });
  return {
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
  };
}

/**
 * registerInOrder registers checked plugins one after another, each in a child container of
 * base. When one fails, the disposers and containers of those before it are released and the
 * failure is thrown: the caller never sees a partly registered set.
 */
export async function registerInOrder(
  order: readonly Found[],
  opts: { base: DependencyContainer; logger: Logger; config?: Record<string, PluginConfig> },
): Promise<LoadedPlugins> {
  const shared: Shared = { registry: new Map(), disposers: [], containers: [] };
  const plugins: LoadedPlugin[] = [];
  for (const found of order) {
    try {
      plugins.push(await registerOne(found, shared, opts));
    } catch (err) {
      await closeAll(shared).catch((closeErr: unknown) =>
        opts.logger.error('closing plugins after a failed register', { error: String(closeErr) }),
      );
      throw err;
    }
  }
  return {
    plugins,
    extension: (kind, name) => shared.registry.get(kind.kind)?.get(name) as never,
    extensions: <T>(kind: ExtensionKind<T>) =>
      new Map(shared.registry.get(kind.kind) ?? []) as ReadonlyMap<string, T>,
    close: () => closeAll(shared),
  };
}
