import type { KubeObject } from '../api/meta.ts';
import { keyOf } from './keys.ts';

/** IndexFunction returns the index values an object is filed under (none, one or several). */
export type IndexFunction<T> = (object: T) => readonly string[];

/** namespaceIndex is the name of the index every cache has: objects by namespace. */
export const namespaceIndex = 'namespace';

/**
 * ObjectCache is an informer's local copy of a collection, keyed by `namespace/name`, with
 * secondary indexes kept up to date on every change (the namespace index always exists).
 */
export class ObjectCache<T extends KubeObject = KubeObject> {
  readonly #items = new Map<string, T>();
  readonly #indexers = new Map<string, IndexFunction<T>>();
  /** indexes maps index name → value → keys. */
  readonly #indexes = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Readonly<Record<string, IndexFunction<T>>> = {}) {
    this.#indexers.set(namespaceIndex, (o) => [o.metadata?.namespace ?? '']);
    for (const [name, fn] of Object.entries(indexers)) this.#indexers.set(name, fn);
    for (const name of this.#indexers.keys()) this.#indexes.set(name, new Map());
  }

  /** size is how many objects the cache holds. */
  get size(): number {
    return this.#items.size;
  }

  /** get returns the object under a key (`namespace/name` or `name`). */
  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  /** list returns every cached object. */
  list(): T[] {
    return [...this.#items.values()];
  }

  /** keys returns every cached key. */
  keys(): string[] {
    return [...this.#items.keys()];
  }

  /** byIndex returns the objects an index files under a value (`byIndex('namespace', 'default')`). */
  byIndex(index: string, value: string): T[] {
    const idx = this.#indexes.get(index);
    if (!idx) throw new RangeError(`the cache has no index "${index}"`);
    return [...(idx.get(value) ?? [])].map((k) => this.#items.get(k) as T);
  }

  /** put stores an object and returns the one it replaced. */
  put(object: T): T | undefined {
    const key = keyOf(object);
    const old = this.#items.get(key);
    if (old) this.#unindex(key, old);
    this.#items.set(key, object);
    for (const [name, fn] of this.#indexers) {
      const idx = this.#indexes.get(name) as Map<string, Set<string>>;
      for (const value of fn(object)) {
        const keys = idx.get(value) ?? new Set<string>();
        keys.add(key);
        idx.set(value, keys);
      }
    }
    return old;
  }

  /** remove drops the object under a key and returns it. */
  remove(key: string): T | undefined {
    const old = this.#items.get(key);
    if (!old) return undefined;
    this.#unindex(key, old);
    this.#items.delete(key);
    return old;
  }

  #unindex(key: string, object: T): void {
    for (const [name, fn] of this.#indexers) {
      const idx = this.#indexes.get(name) as Map<string, Set<string>>;
      for (const value of fn(object)) {
        const keys = idx.get(value);
        keys?.delete(key);
        if (keys?.size === 0) idx.delete(value);
      }
    }
  }
}
