import type { KubeObject } from '../../../sdk/api/meta.ts';
import type { TableRowCondition } from './pods.ts';
import { defaultPrinter, type Printer, printers, type TableColumnDefinition } from './printers.ts';

export { humanDuration } from './format.ts';
export type { TableRowCondition } from './pods.ts';
export type { TableColumnDefinition } from './printers.ts';

/** IncludeObject is the `includeObject` query parameter: what each row carries besides cells. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** TableRow is one row: the cells, and the object as PartialObjectMetadata or in full. */
export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  object?: KubeObject;
}

/** Table is a `meta.k8s.io/v1` Table, the form kubectl asks for to print objects. */
export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  /** columnDefinitions is null in watch events, where kubectl reuses the list's header. */
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[];
}

/** TableOptions says how to build a Table. */
export interface TableOptions {
  /** now is the time ages are computed against. */
  readonly now: Date;
  /** includeObject defaults to Metadata, as in Kubernetes. */
  readonly includeObject?: IncludeObject;
  /** metadata is the list metadata (resourceVersion, continue) to send along. */
  readonly metadata?: Table['metadata'];
  /** noHeaders leaves columnDefinitions null, for the one-row tables of watch events. */
  readonly noHeaders?: boolean;
}

/** printerFor returns the printer of a kind, or the generic Name/Created At printer. */
export function printerFor(kind: string): Printer {
  return printers[kind] ?? defaultPrinter;
}

/** columnsFor lists the Table columns of a kind, wide (priority 1) ones included. */
export function columnsFor(kind: string): TableColumnDefinition[] {
  return printerFor(kind).columns.map((c) => ({ ...c }));
}

function rowObject(object: KubeObject, include: IncludeObject): KubeObject | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return object;
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: object.metadata ?? {},
  };
}

/**
 * toTable renders objects of one kind as the Table Kubernetes' API server sends for
 * `Accept: application/json;as=Table;g=meta.k8s.io;v=v1`: the kind's columns with kubectl's
 * names, types and priorities (priority 1 is what `-o wide` adds), one row per object with every
 * cell computed on the server (ages against `now`), and each row's object as
 * PartialObjectMetadata unless includeObject says otherwise. A kind without a printer gets
 * Kubernetes' generic Name and Created At columns.
 */
export function toTable(kind: string, objects: readonly KubeObject[], opts: TableOptions): Table {
  const printer = printerFor(kind);
  const include = opts.includeObject ?? 'Metadata';
  const rows = objects.map((object): TableRow => {
    const printed = printer.row(object, opts.now);
    const row: TableRow = { cells: printed.cells };
    if (printed.conditions !== undefined) row.conditions = printed.conditions;
    const attached = rowObject(object, include);
    if (attached !== undefined) row.object = attached;
    return row;
  });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { ...(opts.metadata ?? {}) },
    columnDefinitions: opts.noHeaders === true ? null : columnsFor(kind),
    rows,
  };
}

/** toWatchTable renders the object of one watch event as a one-row Table without column definitions. */
export function toWatchTable(
  kind: string,
  object: KubeObject,
  opts: Omit<TableOptions, 'noHeaders'>,
): Table {
  const metadata =
    object.metadata?.resourceVersion === undefined
      ? {}
      : { resourceVersion: object.metadata.resourceVersion };
  return toTable(kind, [object], { metadata, ...opts, noHeaders: true });
}
