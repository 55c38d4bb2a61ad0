import { describe, expect, it } from 'vitest';
import type { api } from '../../sdk/index.ts';
import { OwnerGraph } from './graph.ts';

const obj = (
  uid: string,
  owners: string[] = [],
  extra: Partial<api.KubeObject['metadata']> = {},
): api.KubeObject => ({
  metadata: {
    name: `n-${uid}`,
    namespace: 'default',
    uid,
    resourceVersion: '1',
    ownerReferences: owners.map((o) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: `n-${o}`,
      uid: o,
    })),
    ...extra,
  },
});

const deps = (g: OwnerGraph, uid: string) =>
  g
    .dependentsOf(uid)
    .map((n) => n.identity.uid)
    .sort();

describe('OwnerGraph', () => {
  it('links dependents to owners seen or only named, both ways', () => {
    const g = new OwnerGraph();
    g.observe('v1', 'ConfigMap', obj('child', ['owner']));
    expect(g.node('owner')?.observed).toBe(false);
    expect(deps(g, 'owner')).toEqual(['child']);
    const change = g.observe('v1', 'ConfigMap', obj('owner'));
    expect(change.deletingChanged).toBe(true);
    expect(g.node('owner')?.observed).toBe(true);
    expect(deps(g, 'owner')).toEqual(['child']);
  });

  it.each([
    ['owner added', [], ['a'], true, { a: ['c'], b: [] }],
    ['owner swapped', ['a'], ['b'], true, { a: [], b: ['c'] }],
    ['owners unchanged', ['a', 'b'], ['a', 'b'], false, { a: ['c'], b: ['c'] }],
    ['owner dropped', ['a', 'b'], ['b'], true, { a: [], b: ['c'] }],
  ])('%s: edges follow the latest ownerReferences', (_label, before, after, changed, want) => {
    const g = new OwnerGraph();
    g.observe('v1', 'ConfigMap', obj('a'));
    g.observe('v1', 'ConfigMap', obj('b'));
    g.observe('v1', 'ConfigMap', obj('c', before));
    const change = g.observe('v1', 'ConfigMap', obj('c', after, { resourceVersion: '2' }));
    expect(change.ownersChanged).toBe(changed);
    expect(change.ownersBefore).toEqual(before);
    expect({ a: deps(g, 'a'), b: deps(g, 'b') }).toEqual(want);
  });

  it('forget keeps a gone owner as a bare node while dependents name it, and drops it after', () => {
    const g = new OwnerGraph();
    g.observe('v1', 'ConfigMap', obj('owner'));
    g.observe('v1', 'ConfigMap', obj('child', ['owner']));
    g.forget('owner');
    expect(g.node('owner')?.observed).toBe(false);
    expect([...(g.node('owner')?.dependents ?? [])]).toEqual(['child']);
    const change = g.forget('child');
    expect(change.ownersBefore).toEqual(['owner']);
    expect(g.node('owner')).toBeUndefined();
    expect(g.node('child')).toBeUndefined();
    expect(g.size).toBe(0);
  });

  it('records deletion state and finalizers, and says when deletion started', () => {
    const g = new OwnerGraph();
    g.observe('v1', 'ConfigMap', obj('x'));
    const change = g.observe(
      'v1',
      'ConfigMap',
      obj('x', [], { deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['orphan'] }),
    );
    expect(change.deletingChanged).toBe(true);
    expect(g.node('x')).toMatchObject({ deleting: true, finalizers: ['orphan'] });
  });

  it('forgetting what it never saw changes nothing', () => {
    const g = new OwnerGraph();
    expect(g.forget('nobody')).toEqual({
      node: undefined,
      ownersBefore: [],
      ownersChanged: false,
      deletingChanged: false,
    });
  });
});
