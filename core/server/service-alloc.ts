import { isSkiffError } from '../../sdk/errors.ts';
import type { Store } from '../store/store.ts';

/**
 * Allocations of Service cluster IPs and node ports live in the store, one key per taken
 * value (`/skiff/allocations/<pool>/<value>`), as Kubernetes' IPAddress objects do. A value is
 * taken by creating its key, which the store refuses when the key exists: two creates, two
 * API servers on one etcd, or a server before and after a restart can never take the same
 * value. The in-memory set only steers the search toward free values.
 */

/** allocationPrefix is where the allocation records of every pool live in the store. */
export const allocationPrefix = '/skiff/allocations/';

/** AllocationOwner is the Service that holds a value. */
export interface AllocationOwner {
  readonly namespace: string;
  readonly name: string;
}

/** ReserveOutcome says whether a value was taken: ok, already held by someone, or outside the range. */
export type ReserveOutcome = 'ok' | 'taken' | 'out-of-range';

/** PoolRange describes the values of a pool: offsets min..max, shown to people as text. */
export interface PoolRange {
  /** pool names the store folder (`clusterips`, `nodeports`). */
  readonly pool: string;
  /** min and max are the first and last value that may be handed out. */
  readonly min: number;
  readonly max: number;
  /**
   * staticBand is how many of the lowest values dynamic allocation leaves for explicit
   * requests while higher ones are free (Kubernetes' split of the range).
   */
  readonly staticBand: number;
  /** key turns a value into its record name; parse reads it back. */
  readonly key: (value: number) => string;
  readonly parse: (name: string) => number | undefined;
}

/** RangeAllocator hands out values of one pool, each at most once, recorded in the store. */
export class RangeAllocator {
  readonly #store: Store;
  readonly #range: PoolRange;
  readonly #prefix: string;
  // Values known to be taken (recorded, or being recorded by this process right now).
  #taken = new Set<number>();
  #loaded: Promise<void> | undefined;

  constructor(store: Store, range: PoolRange) {
    this.#store = store;
    this.#range = range;
    this.#prefix = `${allocationPrefix}${range.pool}/`;
  }

  get range(): PoolRange {
    return this.#range;
  }

  /** inRange tells whether a value belongs to the pool. */
  inRange(value: number): boolean {
    return Number.isInteger(value) && value >= this.#range.min && value <= this.#range.max;
  }

  async #load(force = false): Promise<void> {
    if (force || this.#loaded === undefined)
      this.#loaded = (async () => {
        const taken = new Set<number>();
        for (const owned of await this.records()) taken.add(owned.value);
        this.#taken = taken;
      })();
    await this.#loaded;
  }

  /** records lists the pool's records: each taken value, its owner and its revision. */
  async records(): Promise<{ value: number; owner: AllocationOwner; modRevision: number }[]> {
    const out: { value: number; owner: AllocationOwner; modRevision: number }[] = [];
    let cont: string | undefined;
    do {
      const page = await this.#store.list(this.#prefix, {
        limit: 1000,
        ...(cont === undefined ? {} : { continue: cont }),
      });
      for (const item of page.items) {
        const value = this.#range.parse(item.key.slice(this.#prefix.length));
        if (value === undefined) continue;
        out.push({ value, owner: parseOwner(item.value), modRevision: item.modRevision });
      }
      cont = page.continue;
    } while (cont !== undefined);
    return out;
  }

  /** isFree tells whether a value in range is not recorded (a dry run's check). */
  async isFree(value: number): Promise<boolean> {
    return (await this.#store.get(this.#prefix + this.#range.key(value))) === undefined;
  }

  /** reserve takes one given value for an owner. */
  async reserve(value: number, owner: AllocationOwner): Promise<ReserveOutcome> {
    if (!this.inRange(value)) return 'out-of-range';
    await this.#load();
    const mine = !this.#taken.has(value);
    this.#taken.add(value);
    try {
      await this.#store.create(this.#prefix + this.#range.key(value), JSON.stringify(owner));
      return 'ok';
    } catch (err) {
      if (isSkiffError(err, 'AlreadyExists')) return 'taken';
      if (mine) this.#taken.delete(value);
      throw err;
    }
  }

  /** candidate picks a value that looks free without taking it (a dry run's answer). */
  async candidate(): Promise<number | undefined> {
    await this.#load();
    return this.#pick();
  }

  // Dynamic values come from above the static band first, starting at a random place, so
  // explicitly requested low values (the DNS Service's .10) stay free as long as possible.
  #pick(): number | undefined {
    const { min, max, staticBand } = this.#range;
    const split = Math.min(max + 1, min + staticBand);
    const bands: [number, number][] = [
      [split, max],
      [min, split - 1],
    ];
    for (const [lo, hi] of bands) {
      if (hi < lo) continue;
      const span = hi - lo + 1;
      const start = Math.floor(Math.random() * span);
      for (let i = 0; i < span; i++) {
        const value = lo + ((start + i) % span);
        if (!this.#taken.has(value)) return value;
      }
    }
    return undefined;
  }

  /** allocate takes any free value for an owner; undefined when the pool is full. */
  async allocate(owner: AllocationOwner): Promise<number | undefined> {
    await this.#load();
    let reloaded = false;
    for (;;) {
      const value = this.#pick();
      if (value === undefined) {
        // Values another server released are unknown here: look at the store once more.
        if (reloaded) return undefined;
        reloaded = true;
        await this.#load(true);
        continue;
      }
      const outcome = await this.reserve(value, owner);
      if (outcome === 'ok') return value;
    }
  }

  /** release frees a value if the owner still holds it (someone else's record is left alone). */
  async release(value: number, owner: AllocationOwner): Promise<void> {
    const key = this.#prefix + this.#range.key(value);
    const item = await this.#store.get(key);
    if (item !== undefined) {
      const held = parseOwner(item.value);
      if (held.namespace !== owner.namespace || held.name !== owner.name) return;
      try {
        await this.#store.delete(key, { expectedModRevision: item.modRevision });
      } catch (err) {
        if (!isSkiffError(err, 'NotFound') && !isSkiffError(err, 'Conflict')) throw err;
        return;
      }
    }
    this.#taken.delete(value);
  }

  /** forget drops a record whatever its owner (repair of a record nobody uses). */
  async forget(value: number, modRevision: number): Promise<void> {
    try {
      await this.#store.delete(this.#prefix + this.#range.key(value), {
        expectedModRevision: modRevision,
      });
      this.#taken.delete(value);
    } catch (err) {
      if (!isSkiffError(err, 'NotFound') && !isSkiffError(err, 'Conflict')) throw err;
    }
  }
}

function parseOwner(value: Uint8Array): AllocationOwner {
  try {
    const o = JSON.parse(Buffer.from(value).toString('utf8')) as Partial<AllocationOwner>;
    return { namespace: String(o.namespace ?? ''), name: String(o.name ?? '') };
  } catch {
    return { namespace: '', name: '' };
  }
}
