import type { KubeObject } from '../../../sdk/api/meta.ts';
import { containerCells, since } from './format.ts';
import type { TableRowCondition } from './pods.ts';

/** TableColumnDefinition is one column of a `meta.k8s.io/v1` Table. */
export interface TableColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

/** PrintedRow is the cells of one object's row, with conditions for finished pods. */
export interface PrintedRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
}

/** Printer is the columns of a kind and how one object becomes a row. */
export interface Printer {
  readonly columns: readonly TableColumnDefinition[];
  row(object: KubeObject, now: Date): PrintedRow;
}

export type Obj = Record<string, unknown>;
export const obj = (v: unknown): Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
export const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const int = (v: unknown): number => (typeof v === 'number' ? v : 0);
export const strMap = (v: unknown): Record<string, string> => obj(v) as Record<string, string>;

export const col = (
  name: string,
  type: TableColumnDefinition['type'],
  description: string,
  priority = 0,
): TableColumnDefinition => ({ name, type, format: '', description, priority });
export const nameCol: TableColumnDefinition = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'The unique name of the object within its namespace (or the cluster).',
  priority: 0,
};
export const ageCol = col('Age', 'string', 'How long ago the object was created.');
export const containersCol = col(
  'Containers',
  'string',
  'Names of the containers in the pod template.',
  1,
);
export const imagesCol = col(
  'Images',
  'string',
  'Images of the containers in the pod template.',
  1,
);
export const selectorCol = col(
  'Selector',
  'string',
  'The label selector of the pods this object manages.',
  1,
);

export const name = (o: KubeObject): string => o.metadata?.name ?? '';
export const age = (o: KubeObject, now: Date): string => since(o.metadata?.creationTimestamp, now);
export const spec = (o: KubeObject): Obj => obj(o.spec);
export const status = (o: KubeObject): Obj => obj(o.status);
export const podSpecOf = (template: unknown): Obj => obj(obj(template).spec);

/** templated builds the printer of a kind with a pod template: its columns, then CONTAINERS, IMAGES and maybe SELECTOR. */
export function templated(
  columns: TableColumnDefinition[],
  head: (o: KubeObject, now: Date) => unknown[],
  podSpec: (o: KubeObject) => Obj,
  selector?: (o: KubeObject) => string,
): Printer {
  return {
    columns: [
      ...columns,
      containersCol,
      imagesCol,
      ...(selector === undefined ? [] : [selectorCol]),
    ],
    row(o, now) {
      const [names, images] = containerCells(podSpec(o).containers);
      return {
        cells: [...head(o, now), names, images, ...(selector === undefined ? [] : [selector(o)])],
      };
    },
  };
}

/** printer builds a printer from columns and a cell function. */
export const printer = (
  columns: TableColumnDefinition[],
  cells: (o: KubeObject, now: Date) => unknown[],
): Printer => ({
  columns,
  row: (o, now) => ({ cells: cells(o, now) }),
});
