import type { KubeObject } from '../../sdk/api/meta.ts';

/**
 * The Table printers (core/server/table/) are a separate module, looked up at start-up so the
 * server runs before it exists: without it a Table has the columns every kind has (Name, Age).
 */

/** TableFn builds a Kubernetes Table for a kind's objects (the table module's toTable). */
export type TableFn = (
  kind: string,
  objects: readonly KubeObject[],
  opts: {
    now: Date;
    includeObject?: 'None' | 'Metadata' | 'Object';
    metadata?: { resourceVersion?: string; continue?: string };
    noHeaders?: boolean;
  },
) => unknown;

async function optionalExport<T>(path: string, name: string): Promise<T | undefined> {
  try {
    const mod = (await import(new URL(path, import.meta.url).href)) as Record<string, unknown>;
    return typeof mod[name] === 'function' ? (mod[name] as T) : undefined;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

/** loadTablePrinter returns the table module's toTable, when that module is present. */
export const loadTablePrinter = () => optionalExport<TableFn>('./table/index.ts', 'toTable');

/** humanAge prints an age the way kubectl's tables do (`45s`, `3m20s`, `5h`, `12d`). */
export function humanAge(fromIso: string | undefined, now = Date.now()): string {
  if (fromIso === undefined) return '<unknown>';
  const s = Math.floor((now - Date.parse(fromIso)) / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (y < 8) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
  return `${y}y`;
}

/** nameAgeTable is the Table every kind can be shown as: Name and Age. */
export function nameAgeTable(objects: KubeObject[], resourceVersion?: string) {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: resourceVersion === undefined ? {} : { resourceVersion },
    columnDefinitions: [
      {
        name: 'Name',
        type: 'string',
        format: 'name',
        description: 'Name must be unique within a namespace.',
        priority: 0,
      },
      {
        name: 'Age',
        type: 'string',
        format: '',
        description: 'Time since the object was created.',
        priority: 0,
      },
    ],
    rows: objects.map((o) => ({
      cells: [o.metadata?.name ?? '', humanAge(o.metadata?.creationTimestamp)],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
