// Writes a controller made but its cache has not shown yet, so a lagging cache does not make it
// create or delete twice.

interface Pending {
  adds: Set<string>;
  deletes: Set<string>;
  since: number;
}

/** Expectations remember, per owner key, the pod names created and uids deleted but not yet seen. */
export class Expectations {
  readonly #pending = new Map<string, Pending>();
  readonly #ttlMs: number;

  constructor(ttlMs = 15_000) {
    this.#ttlMs = ttlMs;
  }

  /** expect records writes just made for a key. */
  expect(key: string, adds: readonly string[], deletes: readonly string[], now: number): void {
    const p = this.#pending.get(key) ?? { adds: new Set(), deletes: new Set(), since: now };
    for (const a of adds) p.adds.add(a);
    for (const d of deletes) p.deletes.add(d);
    p.since = now;
    this.#pending.set(key, p);
  }

  /**
   * satisfied prunes what the cache now shows (names present, uids gone) and tells whether
   * nothing is outstanding; old expectations lapse so a missed event cannot stall the key.
   */
  satisfied(
    key: string,
    present: (name: string) => boolean,
    gone: (uid: string) => boolean,
    now: number,
  ): boolean {
    const p = this.#pending.get(key);
    if (!p) return true;
    for (const a of p.adds) if (present(a)) p.adds.delete(a);
    for (const d of p.deletes) if (gone(d)) p.deletes.delete(d);
    if ((p.adds.size === 0 && p.deletes.size === 0) || now - p.since > this.#ttlMs) {
      this.#pending.delete(key);
      return true;
    }
    return false;
  }

  /** forget drops a key (its owner is gone). */
  forget(key: string): void {
    this.#pending.delete(key);
  }
}
