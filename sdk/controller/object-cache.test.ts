import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/meta.ts';
import { ObjectCache } from './object-cache.ts';

const obj = (namespace: string, name: string, labels: Record<string, string> = {}): KubeObject => ({
  metadata: { namespace, name, labels },
});
const names = (list: KubeObject[]) => list.map((o) => o.metadata?.name).sort();

describe('ObjectCache', () => {
  const byApp = (o: KubeObject) => (o.metadata?.labels?.app ? [o.metadata.labels.app] : []);
  const byEveryLabel = (o: KubeObject) => Object.keys(o.metadata?.labels ?? {});

  it('files objects by namespace and by custom indexes, several values per object', () => {
    const cache = new ObjectCache({ app: byApp, labels: byEveryLabel });
    cache.put(obj('a', 'x', { app: 'web', tier: 'front' }));
    cache.put(obj('a', 'y', { app: 'db' }));
    cache.put(obj('b', 'x', { app: 'web' }));
    cache.put(obj('', 'node-1'));
    expect(cache.size).toBe(4);
    expect(names(cache.byIndex('namespace', 'a'))).toEqual(['x', 'y']);
    expect(names(cache.byIndex('namespace', ''))).toEqual(['node-1']);
    expect(
      cache
        .byIndex('app', 'web')
        .map((o) => o.metadata?.namespace)
        .sort(),
    ).toEqual(['a', 'b']);
    expect(names(cache.byIndex('labels', 'tier'))).toEqual(['x']);
    expect(cache.get('node-1')?.metadata?.name).toBe('node-1');
    expect(cache.get('b/x')).toBeDefined();
  });

  it('moves an object between index values when it changes, and drops it on remove', () => {
    const cache = new ObjectCache({ app: byApp });
    cache.put(obj('a', 'x', { app: 'web' }));
    const old = cache.put(obj('a', 'x', { app: 'db' }));
    expect(old?.metadata?.labels).toEqual({ app: 'web' });
    expect(cache.byIndex('app', 'web')).toEqual([]);
    expect(names(cache.byIndex('app', 'db'))).toEqual(['x']);
    expect(cache.remove('a/x')?.metadata?.name).toBe('x');
    expect(cache.remove('a/x')).toBeUndefined();
    expect(cache.byIndex('app', 'db')).toEqual([]);
    expect(cache.byIndex('namespace', 'a')).toEqual([]);
    expect(cache.size).toBe(0);
  });

  it('refuses an index it does not have', () => {
    expect(() => new ObjectCache().byIndex('app', 'web')).toThrow(/no index "app"/);
  });
});
