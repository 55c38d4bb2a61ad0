import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { SkiffError } from '../../sdk/errors.ts';
import { builtinPluginEntry, builtinPluginsDir } from './builtins.ts';

/** SourceKind says how a plugin source was found. */
export type SourceKind = 'builtin' | 'path' | 'package';

/** ResolvedSource is a plugin source resolved to the module file that default-exports the plugin. */
export interface ResolvedSource {
  readonly source: string;
  readonly kind: SourceKind;
  readonly file: string;
}

const packageNamePattern = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i;
const entryConditions = new Set(['import', 'node', 'default']);
const indexFiles = ['index.ts', 'index.mts', 'index.js', 'index.mjs'];

function isPathSource(source: string): boolean {
  return (
    isAbsolute(source) ||
    source === '.' ||
    source === '..' ||
    source.startsWith('./') ||
    source.startsWith('../')
  );
}

function refuse(source: string, why: string): SkiffError {
  return new SkiffError('PluginInvalid', `plugin source "${source}" ${why}`, {
    details: { kind: 'Plugin', name: source },
  });
}

// The ESM entry a package.json `exports` value selects for `import`, following Node's rule:
// the first condition, in the object's own order, that applies to an import from Node.
function exportsTarget(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const v of value) {
      const t = exportsTarget(v);
      if (t !== undefined) return t;
    }
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const map = value as Record<string, unknown>;
  const keys = Object.keys(map);
  if (keys.some((k) => k.startsWith('.'))) return exportsTarget(map['.']);
  for (const k of keys) {
    if (entryConditions.has(k)) {
      const t = exportsTarget(map[k]);
      if (t !== undefined) return t;
    }
  }
  return undefined;
}

/** packageEntry finds the file a package directory's package.json points an import at. */
export function packageEntry(dir: string, source: string): string {
  const manifest = join(dir, 'package.json');
  if (existsSync(manifest)) {
    let pkg: { exports?: unknown; main?: unknown };
    try {
      pkg = JSON.parse(readFileSync(manifest, 'utf8')) as typeof pkg;
    } catch (err) {
      throw refuse(source, `has an unreadable ${manifest}: ${(err as Error).message}`);
    }
    const target =
      pkg.exports !== undefined
        ? exportsTarget(pkg.exports)
        : typeof pkg.main === 'string'
          ? pkg.main
          : undefined;
    if (pkg.exports !== undefined && target === undefined) {
      throw refuse(
        source,
        `has a package.json whose "exports" offers no entry for import: add "exports": { ".": "./index.ts" } to ${manifest}`,
      );
    }
    if (target !== undefined) {
      const file = resolve(dir, target);
      if (!existsSync(file)) {
        throw refuse(source, `names entry ${target} in ${manifest}, but ${file} does not exist`);
      }
      return file;
    }
  }
  for (const name of indexFiles) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  throw refuse(
    source,
    `is a directory without an entry point: give ${dir} a package.json with "exports" or "main", or an index.ts`,
  );
}

function resolvePath(source: string, baseDir: string): ResolvedSource {
  const path = resolve(baseDir, source);
  if (!existsSync(path)) {
    throw refuse(
      source,
      `does not exist (looked for ${path}; relative paths resolve from ${baseDir}): fix the path in the cluster config`,
    );
  }
  const file = statSync(path).isDirectory() ? packageEntry(path, source) : path;
  return { source, kind: 'path', file: realpathSync(file) };
}

function resolvePackage(source: string, baseDir: string, builtinDir: string): ResolvedSource {
  // Node's own list of node_modules folders searched from the config file's directory.
  const lookup = createRequire(join(baseDir, 'noop.js')).resolve.paths(source) ?? [];
  for (const modules of lookup) {
    const dir = join(modules, source);
    if (existsSync(join(dir, 'package.json'))) {
      return { source, kind: 'package', file: realpathSync(packageEntry(dir, source)) };
    }
  }
  throw refuse(
    source,
    `is neither a built-in plugin (no ${join(builtinDir, source, 'index.ts')}) nor a package installed where ${baseDir} can find it: install it with "npm install ${source}", or write a path starting with ./`,
  );
}

/**
 * resolvePluginSource finds the module of a plugin source: a built-in id (a folder under
 * plugins/), a path (a file or package directory, relative to baseDir), or an installed
 * package name (Node's node_modules lookup from baseDir). Not found throws PluginInvalid.
 */
export function resolvePluginSource(
  source: string,
  baseDir: string,
  builtinDir = builtinPluginsDir,
): ResolvedSource {
  if (source.trim() === '') throw refuse(source, 'is empty: name a built-in id, path or package');
  if (isPathSource(source)) return resolvePath(source, baseDir);
  const builtin = builtinPluginEntry(source, builtinDir);
  if (builtin !== undefined) return { source, kind: 'builtin', file: builtin };
  if (!packageNamePattern.test(source)) {
    throw refuse(
      source,
      'is not a built-in id, a path (start it with ./ or /) or a package name: fix it in the cluster config',
    );
  }
  return resolvePackage(source, baseDir, builtinDir);
}
