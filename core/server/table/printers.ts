import { nameCol, type Printer } from './cells.ts';
import { corePrinters } from './printers-core.ts';
import { policyPrinters } from './printers-policy.ts';
import { workloadPrinters } from './printers-workloads.ts';

export type { PrintedRow, Printer, TableColumnDefinition } from './cells.ts';

/** printers holds the Table printer of every built-in kind, by kind name. */
export const printers: Readonly<Record<string, Printer>> = {
  ...corePrinters,
  ...workloadPrinters,
  ...policyPrinters,
};

/** defaultPrinter is Kubernetes' generic table for kinds without their own printer. */
export const defaultPrinter: Printer = {
  columns: [
    nameCol,
    {
      name: 'Created At',
      type: 'date',
      format: '',
      description: 'When the object was created.',
      priority: 0,
    },
  ],
  row: (o) => ({ cells: [o.metadata?.name ?? '', createdAt(o.metadata?.creationTimestamp)] }),
};

/** createdAt renders a creation time as RFC 3339 in UTC to the second, as the generic table does. */
function createdAt(timestamp: string | undefined): string {
  const at = Date.parse(timestamp ?? '');
  return Number.isNaN(at) ? '' : `${new Date(at).toISOString().slice(0, 19)}Z`;
}
