import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { Value, ValueErrorType } from '@sinclair/typebox/value';
import { LineCounter, parseDocument } from 'yaml';
import { SkiffError, type StatusCause } from '../../sdk/errors.ts';
import { builtinPluginIds } from '../plugins/builtins.ts';

/** clusterConfigApiVersion is the apiVersion a cluster config file declares. */
export const clusterConfigApiVersion = 'skiff.dev/v1alpha1';

const settings = Type.Record(Type.String(), Type.Unknown(), {
  errorMessage: 'must be a mapping of settings',
});

const pluginEntry = Type.Union(
  [
    Type.String({ minLength: 1 }),
    Type.Object(
      {
        source: Type.String({ minLength: 1, errorMessage: 'must be a non-empty string' }),
        config: Type.Optional(settings),
      },
      { additionalProperties: false },
    ),
  ],
  {
    errorMessage:
      'must be a plugin source (built-in id, path or package name) or a mapping { source, config }',
  },
);

/** clusterConfigSchema is the shape of the cluster config file (kind ClusterConfig). */
export const clusterConfigSchema = Type.Object(
  {
    apiVersion: Type.Literal(clusterConfigApiVersion, {
      errorMessage: `must be "${clusterConfigApiVersion}"`,
    }),
    kind: Type.Literal('ClusterConfig', { errorMessage: 'must be "ClusterConfig"' }),
    plugins: Type.Array(pluginEntry, { errorMessage: 'must be a list of plugin sources' }),
    // Room for the settings later core pieces read; checked by those pieces.
    server: Type.Optional(settings),
    store: Type.Optional(settings),
    agent: Type.Optional(settings),
  },
  { additionalProperties: false },
);

type ClusterConfigDocument = Static<typeof clusterConfigSchema>;

/** PluginEntry is one plugin of the cluster config: where it comes from and its config section. */
export interface PluginEntry {
  readonly source: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/** ClusterConfig is a checked cluster config, plugin entries normalized to { source, config }. */
export interface ClusterConfig {
  readonly apiVersion: typeof clusterConfigApiVersion;
  readonly kind: 'ClusterConfig';
  readonly plugins: readonly PluginEntry[];
  readonly server?: Readonly<Record<string, unknown>>;
  readonly store?: Readonly<Record<string, unknown>>;
  readonly agent?: Readonly<Record<string, unknown>>;
  /** file is the path the config was read from; undefined for the default config. */
  readonly file?: string;
  /** baseDir is where relative plugin paths and package names resolve from. */
  readonly baseDir: string;
}

function fieldOf(path: string): string {
  // A JSON pointer (/plugins/1/source) written the way people read a field (plugins[1].source).
  return path
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

/**
 * parseClusterConfig reads the YAML text of a cluster config file and checks it. A bad file
 * throws SkiffError('Invalid') whose causes name each bad field with its line.
 */
export function parseClusterConfig(
  text: string,
  opts: { file?: string; baseDir?: string } = {},
): ClusterConfig {
  const where = opts.file ?? 'cluster config';
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const lineOf = (offset: number | undefined): string =>
    offset === undefined ? '' : `line ${lines.linePos(offset).line}: `;
  if (doc.errors.length > 0) {
    const causes: StatusCause[] = doc.errors.map((e) => ({
      reason: 'FieldValueInvalid',
      message: `${lineOf(e.pos[0])}${e.message.split('\n')[0]}`,
    }));
    throw new SkiffError(
      'Invalid',
      `${where} is not valid YAML: ${causes.map((c) => c.message).join('; ')}`,
      { causes, details: { kind: 'ClusterConfig' } },
    );
  }
  const value: unknown = doc.toJS();
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  for (const err of Value.Errors(clusterConfigSchema, value)) {
    // A bad value inside a union reports once, at the union, with the union's message.
    if ([...seen].some((p) => err.path.startsWith(`${p}/`)) || seen.has(err.path)) continue;
    seen.add(err.path);
    const field = fieldOf(err.path) || '(document)';
    const node = doc.getIn(err.path.split('/').slice(1), true) as
      | { range?: [number, number, number] }
      | undefined;
    const custom = (err.schema as { errorMessage?: string }).errorMessage;
    const message =
      err.type === ValueErrorType.ObjectAdditionalProperties
        ? 'is not a known field'
        : err.value === undefined && err.path !== ''
          ? 'is required'
          : (custom ?? err.message);
    causes.push({
      reason: message === 'is required' ? 'FieldValueRequired' : 'FieldValueInvalid',
      field,
      message: `${lineOf(node?.range?.[0])}${field} ${message}`,
    });
  }
  if (causes.length > 0) {
    throw new SkiffError(
      'Invalid',
      `${where} is invalid: ${causes.map((c) => c.message).join('; ')}`,
      { causes, details: { kind: 'ClusterConfig' } },
    );
  }
  const checked = value as ClusterConfigDocument;
  return {
    ...checked,
    plugins: checked.plugins.map((p) =>
      typeof p === 'string'
        ? { source: p, config: {} }
        : { source: p.source, config: p.config ?? {} },
    ),
    file: opts.file,
    baseDir: opts.baseDir ?? (opts.file ? dirname(opts.file) : process.cwd()),
  };
}

/** readClusterConfig reads and checks the cluster config file at a path. */
export async function readClusterConfig(file: string): Promise<ClusterConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SkiffError(
      'NotFound',
      `cannot read cluster config ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      { cause: err, details: { kind: 'ClusterConfig', name: path } },
    );
  }
  return parseClusterConfig(text, { file: path });
}

/** defaultClusterConfig is the config used without --config: every built-in plugin, default settings. */
export async function defaultClusterConfig(): Promise<ClusterConfig> {
  return {
    apiVersion: clusterConfigApiVersion,
    kind: 'ClusterConfig',
    plugins: (await builtinPluginIds()).map((source) => ({ source, config: {} })),
    baseDir: process.cwd(),
  };
}

/** loadClusterConfig reads the given config file, or returns the default config when none is given. */
export async function loadClusterConfig(file: string | undefined): Promise<ClusterConfig> {
  return file === undefined ? defaultClusterConfig() : readClusterConfig(file);
}
