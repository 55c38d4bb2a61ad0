import { describe, expect, it } from 'vitest';
import { parseManifest } from './manifest.ts';

const ok = (text: string) => {
  const r = parseManifest(text);
  if (!r.ok) throw new Error(r.message);
  return r.objects;
};

describe('parseManifest', () => {
  it('reads several documents and skips empty ones', () => {
    const objs = ok(`---
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
---
# only a comment
---
apiVersion: v1
kind: Secret
metadata: {name: b}
`);
    expect(objs.map((o) => [o.object.kind, o.document, o.line])).toEqual([
      ['ConfigMap', 1, 2],
      ['Secret', 4, 9],
    ]);
  });

  it('expands List documents', () => {
    const objs = ok(`apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}
  - {apiVersion: apps/v1, kind: Deployment, metadata: {name: b}}
`);
    expect(objs.map((o) => [o.object.kind, o.item])).toEqual([
      ['ConfigMap', 0],
      ['Deployment', 1],
    ]);
  });

  it('reads JSON, including a typed list such as PodList', () => {
    expect(
      ok('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}')[0]?.object.metadata?.name,
    ).toBe('p');
    const list = ok(
      '{"apiVersion":"v1","kind":"PodList","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"q"}}]}',
    );
    expect(list.map((o) => o.object.metadata?.name)).toEqual(['q']);
  });

  it('reads YAML as kubectl does: 0644 is octal, timestamps stay strings', () => {
    const [obj] = ok(`apiVersion: v1
kind: Pod
metadata:
  name: p
  creationTimestamp: 2024-01-02T03:04:05Z
  annotations: {at: 10:30}
spec:
  volumes:
    - name: v
      secret: {secretName: s, defaultMode: 0644}
`);
    expect(obj?.object.metadata?.creationTimestamp).toBe('2024-01-02T03:04:05Z');
    expect(obj?.object.metadata?.annotations).toEqual({ at: '10:30' });
    const spec = obj?.object.spec as { volumes: { secret: { defaultMode: number } }[] } | undefined;
    expect(spec?.volumes[0]?.secret.defaultMode).toBe(420);
  });

  it('returns nothing for an empty input', () => {
    expect(ok('')).toEqual([]);
    expect(ok('---\n---\n')).toEqual([]);
  });

  it.each([
    [
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n',
      /^document 1 at line \d+, column \d+: /,
    ],
    [
      'apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nkind: Pod\nmetadata:\n\tname: tab\n',
      /^document 2 at line 7, column 1: /,
    ],
    ['apiVersion: v1\nkind: Pod\nkind: Service\n', /^document 1 at line 3, column 1: .*unique/i],
    ['{"apiVersion": "v1", "kind": "Pod"', /^document 1 at line 1, column \d+: /],
    ['kind: Pod\nmetadata: {name: p}\n', /^document 1 \(line 1\): 'apiVersion' is not set$/],
    ['apiVersion: v1\nmetadata: {name: p}\n', /^document 1 \(line 1\): 'kind' is not set$/],
    [
      'apiVersion: v1\nkind: Pod\n---\nmetadata: {}\n',
      /^document 2 \(line 4\): 'apiVersion' and 'kind' are not set$/,
    ],
    [
      '- a\n- b\n',
      /^document 1 \(line 1\): expected an object with apiVersion and kind, got a list$/,
    ],
    ['just a string\n', /^document 1 \(line 1\): expected an object .* got string$/],
    [
      'apiVersion: v1\nkind: List\nitems:\n  - {kind: Pod}\n',
      /^document 1 \(line 1\), item 0: 'apiVersion' is not set$/,
    ],
  ])('rejects malformed input %#', (text, pattern) => {
    const r = parseManifest(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(pattern);
  });
});
