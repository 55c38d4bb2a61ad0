import type { DependencyContainer, InjectionToken } from 'tsyringe';

/**
 * ExtensionKind names one kind of extension (runtime, scheduler plugin, controller, volume type,
 * service type, admission) and carries the TypeScript type of what a plugin provides for it.
 * Each kind is declared once, in its contract file under sdk/ (for example sdk/runtime/).
 */
export interface ExtensionKind<T> {
  readonly kind: string;
  /** Phantom field: never set, only carries T for the type checker. */
  readonly __type?: T;
}

/** defineExtensionKind declares an extension kind; the name is kebab-case (`runtime`). */
export function defineExtensionKind<T>(kind: string): ExtensionKind<T> {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(kind)) {
    throw new Error(`extension kind "${kind}" must be kebab-case`);
  }
  return Object.freeze({ kind });
}

/** Logger is the structured logger every plugin receives. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** PluginContext is what a plugin's register() receives: its own container, config and a way to provide extensions. */
export interface PluginContext {
  /** id is the plugin's own id. */
  readonly id: string;
  /** container is the plugin's child container; core services resolve from it by token. */
  readonly container: DependencyContainer;
  /** config is the plugin's section of the cluster config file, or {} when absent. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly logger: Logger;
  /**
   * provide registers one extension under `kind/name`. Every name must appear in the
   * plugin's `provides`; the loader refuses anything else at start-up.
   */
  provide<T>(kind: ExtensionKind<T>, name: string, value: T): void;
}

/** PluginDefinition is a plugin: a value that says who it is, what it needs and what it provides. */
export interface PluginDefinition {
  /** id is kebab-case and unique in a cluster (`runtime-docker`). */
  readonly id: string;
  /** version is the plugin's own semver version. */
  readonly version: string;
  /** sdk is the semver range of sdk versions the plugin was written for (`^1.0`). */
  readonly sdk: string;
  readonly description?: string;
  /** provides lists the extensions the plugin registers, as `kind/name` (`runtime/docker`). */
  readonly provides: readonly string[];
  /**
   * requires lists what must exist before the plugin registers: extensions as `kind/name`
   * provided by another plugin, or core service token ids (`core.store`).
   */
  readonly requires?: readonly string[];
  register(ctx: PluginContext): void | Promise<void>;
}

/** Plugin is a checked plugin definition, as returned by definePlugin. */
export type Plugin = PluginDefinition & { readonly __skiffPlugin: 1 };

/** definePlugin checks a plugin's identity fields and marks it as a skiff plugin. */
export function definePlugin(def: PluginDefinition): Plugin {
  return Object.freeze({ ...def, __skiffPlugin: 1 as const });
}

/** Token is an injection token with a dotted id (`core.store`). */
export type Token<T> = InjectionToken<T> & string;

/** token declares an injection token; the id is dotted lower camel case (`core.store`). */
export function token<T>(id: string): Token<T> {
  return id as Token<T>;
}
