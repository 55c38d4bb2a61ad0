/** BackoffOptions shape per-key exponential back-off: base delay doubled per failure, capped. */
export interface BackoffOptions {
  /** baseMs is the delay after the first failure (default 5 ms). */
  readonly baseMs?: number;
  /** maxMs caps the delay (default 5 minutes). */
  readonly maxMs?: number;
}

/** KeyBackoff counts failures per key and answers the next delay: base * 2^failures, capped. */
export class KeyBackoff {
  readonly #failures = new Map<string, number>();
  readonly #base: number;
  readonly #max: number;

  constructor(options: BackoffOptions = {}) {
    this.#base = options.baseMs ?? 5;
    this.#max = options.maxMs ?? 5 * 60_000;
    if (!(this.#base > 0) || !(this.#max >= this.#base))
      throw new RangeError(`back-off base ${this.#base} ms and cap ${this.#max} ms are invalid`);
  }

  /** next records one more failure of the key and returns how long to wait before retrying. */
  next(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    // past 2^40 the product is beyond any cap anyway; keep the exponent bounded
    return Math.min(this.#base * 2 ** Math.min(failures, 40), this.#max);
  }

  /** failures is how many failures the key has had since it was last forgotten. */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** forget clears a key's failures, so its next failure waits the base delay again. */
  forget(key: string): void {
    this.#failures.delete(key);
  }
}
