import semver from 'semver';
import type { DependencyContainer, InjectionToken } from 'tsyringe';
import { SkiffError } from './errors.ts';

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

/** pluginIdPattern is the shape of plugin ids and extension kinds: kebab-case (`runtime-docker`). */
export const pluginIdPattern = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/**
 * extensionNamePattern is the shape of an extension's name inside its kind. It admits the
 * PascalCase names the Kubernetes scheduler gives its plugins (`NodeName`) as well as kebab-case.
 */
export const extensionNamePattern = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

/** tokenIdPattern is the shape of a core service token id: dotted lower camel case (`core.store`). */
export const tokenIdPattern = /^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)+$/;

/** defineExtensionKind declares an extension kind; the name is kebab-case (`runtime`). */
export function defineExtensionKind<T>(kind: string): ExtensionKind<T> {
  if (!pluginIdPattern.test(kind)) {
    throw new Error(`extension kind "${kind}" must be kebab-case`);
  }
  return Object.freeze({ kind });
}

/** extensionKey is the `kind/name` string that names one extension in provides and requires. */
export function extensionKey(kind: ExtensionKind<unknown> | string, name: string): string {
  return `${typeof kind === 'string' ? kind : kind.kind}/${name}`;
}

/** Logger is the structured logger every plugin receives. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Disposer releases what a plugin set up in register(); the loader runs them in reverse order. */
export type Disposer = () => void | Promise<void>;

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
  /**
   * extension returns an extension provided by a plugin registered earlier. Only what the
   * plugin lists in `requires` is guaranteed to be there: the loader registers those first.
   */
  extension<T>(kind: ExtensionKind<T>, name: string): T | undefined;
  /** onClose adds a disposer, run when the loaded plugins are closed or loading fails. */
  onClose(dispose: Disposer): void;
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

/**
 * pluginProblems lists what is wrong with a would-be plugin value, each as a sentence that
 * names the field and the fix; an empty list means the value is a well-formed plugin.
 */
export function pluginProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) {
    return ['a plugin must be an object made with definePlugin({ id, version, sdk, ... })'];
  }
  const def = value as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof def.id !== 'string' || !pluginIdPattern.test(def.id)) {
    problems.push(
      `id ${JSON.stringify(def.id)} must be kebab-case: lower-case letters, digits and single dashes, starting with a letter (e.g. "acme-scheduler")`,
    );
  }
  if (typeof def.version !== 'string' || semver.valid(def.version) === null) {
    problems.push(`version ${JSON.stringify(def.version)} must be a semver version (e.g. "1.2.0")`);
  }
  if (typeof def.sdk !== 'string' || semver.validRange(def.sdk) === null) {
    problems.push(`sdk ${JSON.stringify(def.sdk)} must be a semver range (e.g. "^1.0.0")`);
  }
  if (!Array.isArray(def.provides)) {
    problems.push('provides must be a list of "kind/name" strings (it may be empty)');
  } else {
    for (const [i, entry] of def.provides.entries()) {
      if (def.provides.indexOf(entry) !== i) {
        problems.push(`provides lists ${JSON.stringify(entry)} twice: list it once`);
      } else if (!isExtensionKey(entry)) {
        problems.push(
          `provides entry ${JSON.stringify(entry)} must be "kind/name" with a kebab-case kind (e.g. "runtime/docker")`,
        );
      }
    }
  }
  if (def.requires !== undefined) {
    if (!Array.isArray(def.requires)) {
      problems.push('requires must be a list of "kind/name" or core token ids');
    } else {
      for (const entry of def.requires) {
        if (!isExtensionKey(entry) && !(typeof entry === 'string' && tokenIdPattern.test(entry))) {
          problems.push(
            `requires entry ${JSON.stringify(entry)} must be "kind/name" (e.g. "runtime/docker") or a core token id (e.g. "core.logger")`,
          );
        }
      }
    }
  }
  if (typeof def.register !== 'function') {
    problems.push('register must be a function (ctx) => void');
  }
  return problems;
}

/** isExtensionKey tells whether a value is a well-formed `kind/name` string. */
export function isExtensionKey(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const slash = value.indexOf('/');
  if (slash < 0) return false;
  return (
    pluginIdPattern.test(value.slice(0, slash)) && extensionNamePattern.test(value.slice(slash + 1))
  );
}

/** isPlugin tells whether a value carries the mark definePlugin puts on a plugin. */
export function isPlugin(value: unknown): value is Plugin {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<string, unknown>).__skiffPlugin === 1
  );
}

/**
 * definePlugin checks a plugin's identity fields and marks it as a skiff plugin. A malformed
 * definition throws SkiffError('PluginInvalid') naming the plugin and what to fix, so the
 * mistake surfaces when the plugin module is imported, not later.
 */
export function definePlugin(def: PluginDefinition): Plugin {
  const problems = pluginProblems(def);
  if (problems.length > 0) {
    const name = typeof def?.id === 'string' ? `"${def.id}"` : '(no id)';
    throw new SkiffError(
      'PluginInvalid',
      `plugin ${name} is not a valid plugin definition: ${problems.join('; ')}`,
      { details: { name: typeof def?.id === 'string' ? def.id : undefined, kind: 'Plugin' } },
    );
  }
  return Object.freeze({
    ...def,
    provides: Object.freeze([...def.provides]),
    requires: Object.freeze([...(def.requires ?? [])]),
    __skiffPlugin: 1 as const,
  });
}

/** Token is an injection token with a dotted id (`core.store`). */
export type Token<T> = InjectionToken<T> & string;

/** token declares an injection token; the id is dotted lower camel case (`core.store`). */
export function token<T>(id: string): Token<T> {
  if (!tokenIdPattern.test(id)) {
    throw new Error(`token id "${id}" must be dotted lower camel case (e.g. "core.store")`);
  }
  return id as Token<T>;
}
