import { describe, expect, it } from 'vitest';
import { builtinKinds } from '../../../sdk/api/builtin-kinds.ts';
import type { KubeObject } from '../../../sdk/api/meta.ts';
import { columnsFor, toTable, toWatchTable } from './index.ts';

const now = new Date('2026-03-01T12:00:00Z');
const meta = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  namespace: 'default',
  uid: `uid-${name}`,
  resourceVersion: '41',
  creationTimestamp: '2026-02-27T09:00:00Z', // 2d3h before now
  labels: { app: name },
  ...extra,
});

const wide = (kind: string): string[] =>
  columnsFor(kind)
    .filter((c) => c.priority === 1)
    .map((c) => c.name.toUpperCase());
const normal = (kind: string): string[] =>
  columnsFor(kind)
    .filter((c) => c.priority === 0)
    .map((c) => c.name.toUpperCase());

describe('columns', () => {
  it.each([
    [
      'Pod',
      ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
      ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'],
    ],
    [
      'Node',
      ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
      ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'],
    ],
    ['Service', ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'], ['SELECTOR']],
    [
      'Deployment',
      ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
      ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    ],
    [
      'ReplicaSet',
      ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'],
      ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    ],
    [
      'Event',
      ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
      ['SUBOBJECT', 'SOURCE', 'FIRST SEEN', 'COUNT', 'NAME'],
    ],
    ['Ingress', ['NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE'], []],
    [
      'Job',
      ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE'],
      ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    ],
    ['Secret', ['NAME', 'TYPE', 'DATA', 'AGE'], []],
  ])('%s has kubectl columns', (kind, main, extra) => {
    expect(normal(kind)).toEqual(main);
    expect(wide(kind)).toEqual(extra);
    expect(columnsFor(kind)[0]?.format).toBe(kind === 'Event' ? '' : 'name');
  });

  it('has a printer for every built-in kind Kubernetes prints specially, and Name/Created At otherwise', () => {
    // Kubernetes prints these with the generic columns too.
    const generic = new Set(['Role', 'ClusterRole', 'LimitRange']);
    for (const def of builtinKinds)
      if (!generic.has(def.kind))
        expect(
          normal(def.kind),
          `${def.kind} has no printer: add its kubectl columns in core/server/table/printers-*.ts`,
        ).not.toEqual(['NAME', 'CREATED AT']);
    expect(normal('Widget')).toEqual(['NAME', 'CREATED AT']);
    const t = toTable('Widget', [{ metadata: meta('w') }], { now });
    expect(t.rows[0]?.cells).toEqual(['w', '2026-02-27T09:00:00Z']);
    const ms = toTable(
      'Role',
      [{ metadata: meta('r', { creationTimestamp: '2026-02-27T09:00:00.123+01:00' }) }],
      { now },
    );
    expect(ms.rows[0]?.cells).toEqual(['r', '2026-02-27T08:00:00Z']);
  });
});

describe('table envelope', () => {
  const pods = [
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: meta('a'),
      spec: { containers: [{ name: 'm', image: 'i' }] },
      status: { phase: 'Running' },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: meta('b'),
      spec: { containers: [{ name: 'm', image: 'i' }] },
      status: { phase: 'Pending' },
    },
  ] as KubeObject[];

  it('is a meta.k8s.io/v1 Table with PartialObjectMetadata rows by default', () => {
    const t = toTable('Pod', pods, { now, metadata: { resourceVersion: '1043' } });
    expect(t).toMatchObject({
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: '1043' },
    });
    expect(t.columnDefinitions?.[0]).toMatchObject({
      name: 'Name',
      type: 'string',
      format: 'name',
      priority: 0,
    });
    expect(t.rows.map((r) => r.cells[0])).toEqual(['a', 'b']);
    expect(t.rows[0]?.object).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: pods[0]?.metadata,
    });
    expect(JSON.parse(JSON.stringify(t))).toEqual(t);
  });

  it('carries the full object with includeObject=Object and none with None', () => {
    expect(toTable('Pod', pods, { now, includeObject: 'Object' }).rows[1]?.object).toBe(pods[1]);
    expect(toTable('Pod', pods, { now, includeObject: 'None' }).rows[0]).not.toHaveProperty(
      'object',
    );
  });

  it('renders an empty list with its columns', () => {
    const t = toTable('Deployment', [], { now });
    expect(t.rows).toEqual([]);
    expect(t.columnDefinitions?.length).toBe(8);
  });

  it('renders a watch event as a one-row Table without column definitions', () => {
    const t = toWatchTable('Pod', pods[0] as KubeObject, { now });
    expect(t.columnDefinitions).toBeNull();
    expect(t.metadata).toEqual({ resourceVersion: '41' });
    expect(t.rows).toHaveLength(1);
    expect(t.rows[0]?.cells.slice(0, 3)).toEqual(['a', '0/1', 'Running']);
  });
});
