import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../sdk/api/meta.ts';
import { FieldSet, fieldsOf, pathString, removeAt, valueAt } from './field-set.ts';
import { recordUpdate } from './managed-fields.ts';

const podSpec = 'io.k8s.api.core.v1.Pod';
const now = new Date('2026-05-06T07:08:09.999Z');

describe('field sets', () => {
  const pod = {
    metadata: { name: 'p', labels: { app: 'web' }, finalizers: ['a/b'] },
    spec: {
      containers: [{ name: 'main', image: 'x', ports: [{ containerPort: 80, protocol: 'TCP' }] }],
      nodeSelector: {},
    },
  };

  it('lists fields in FieldsV1 form, keyed list items and set members included', () => {
    expect(fieldsOf(pod, podSpec).toFieldsV1()).toEqual({
      'f:metadata': { 'f:labels': { 'f:app': {} }, 'f:finalizers': { 'v:"a/b"': {} } },
      'f:spec': {
        'f:containers': {
          'k:{"name":"main"}': {
            '.': {},
            'f:name': {},
            'f:image': {},
            'f:ports': {
              'k:{"containerPort":80,"protocol":"TCP"}': {
                '.': {},
                'f:containerPort': {},
                'f:protocol': {},
              },
            },
          },
        },
        'f:nodeSelector': {},
      },
    });
  });

  it('reads the FieldsV1 form back to the same set', () => {
    const set = fieldsOf(pod, podSpec);
    const again = FieldSet.fromFieldsV1(set.toFieldsV1());
    expect(
      again
        .paths()
        .map((p) => JSON.stringify(p))
        .sort(),
    ).toEqual(
      set
        .paths()
        .map((p) => JSON.stringify(p))
        .sort(),
    );
  });

  it.each([
    [
      ['f:spec', 'f:containers', 'k:{"name":"main"}', 'f:image'],
      '.spec.containers[name="main"].image',
      'x',
    ],
    [['f:metadata', 'f:finalizers', 'v:"a/b"'], '.metadata.finalizers[="a/b"]', 'a/b'],
    [
      [
        'f:spec',
        'f:containers',
        'k:{"name":"main"}',
        'f:ports',
        'k:{"containerPort":80}',
        'f:protocol',
      ],
      '.spec.containers[name="main"].ports[containerPort=80].protocol',
      'TCP',
    ],
  ])('prints and resolves %j', (path, text, value) => {
    expect(pathString(path)).toBe(text);
    expect(valueAt(pod, path)).toBe(value);
  });

  it('removes a keyed item, a set member and a field', () => {
    const copy = structuredClone(pod);
    removeAt(copy, ['f:metadata', 'f:finalizers', 'v:"a/b"']);
    removeAt(copy, [
      'f:spec',
      'f:containers',
      'k:{"name":"main"}',
      'f:ports',
      'k:{"containerPort":80}',
      '.',
    ]);
    removeAt(copy, ['f:metadata', 'f:labels', 'f:app']);
    removeAt(copy, ['f:spec', 'f:missing', 'f:deeper']);
    expect(copy.metadata).toEqual({ name: 'p', labels: {}, finalizers: [] });
    expect(copy.spec.containers[0]?.ports).toEqual([]);
  });
});

describe('recordUpdate', () => {
  const cm = (data: Record<string, string>, managedFields?: unknown[]): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', ...(managedFields === undefined ? {} : { managedFields }) },
    data,
  });
  const writer = (manager: string) => ({ manager, apiVersion: 'v1', now });

  it('gives a create every field, stamped to the second', () => {
    const out = recordUpdate(undefined, cm({ a: '1' }), writer('kubectl-create'));
    expect(out.metadata?.managedFields).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'v1',
        fieldsType: 'FieldsV1',
        time: '2026-05-06T07:08:09Z',
        fieldsV1: { 'f:data': { 'f:a': {} } },
      },
    ]);
  });

  it('moves changed fields to the writer, keeps the rest and forgets removed ones', () => {
    const created = recordUpdate(undefined, cm({ a: '1', b: '2', c: '3' }), writer('one'));
    const updated = recordUpdate(
      created,
      { ...created, data: { a: '1', b: 'two' } },
      writer('two'),
    );
    const byManager = Object.fromEntries(
      (updated.metadata?.managedFields ?? []).map((e) => [
        String((e as { manager: string }).manager),
        (e as { fieldsV1: unknown }).fieldsV1,
      ]),
    );
    expect(byManager).toEqual({
      one: { 'f:data': { 'f:a': {} } },
      two: { 'f:data': { 'f:b': {} } },
    });
  });

  it('takes a changed field of a list item without taking the item', () => {
    const def = 'io.k8s.api.core.v1.Pod';
    const pod = (image: string, extra: object[] = []): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'a', image }, ...extra] },
    });
    const created = recordUpdate(undefined, pod('x'), { ...writer('one'), definition: def });
    const updated = recordUpdate(created, pod('y', [{ name: 'b', image: 'z' }]), {
      ...writer('two'),
      definition: def,
    });
    const two = (updated.metadata?.managedFields ?? []).find(
      (e) => (e as { manager: string }).manager === 'two',
    ) as { fieldsV1: unknown };
    expect(two.fieldsV1).toEqual({
      'f:spec': {
        'f:containers': {
          'k:{"name":"a"}': { 'f:image': {} },
          'k:{"name":"b"}': { '.': {}, 'f:name': {}, 'f:image': {} },
        },
      },
    });
  });

  it('leaves an unchanged object without a new entry', () => {
    const created = recordUpdate(undefined, cm({ a: '1' }), writer('one'));
    expect(recordUpdate(created, created, writer('two')).metadata?.managedFields).toHaveLength(1);
  });
});
