/** restartBackoffInitialMs is the first wait before restarting a container that keeps exiting. */
export const restartBackoffInitialMs = 10_000;
/** restartBackoffMaxMs caps the wait (five minutes, as Kubernetes). */
export const restartBackoffMaxMs = 300_000;
/** restartBackoffResetMs is how long a container must run (or the key stay quiet) to start over. */
export const restartBackoffResetMs = 600_000;

interface Entry {
  delayMs: number;
  updatedAt: number;
}

/** BackoffDecision says whether a container may restart now, or how long it must still wait. */
export type BackoffDecision =
  | { restart: true }
  | { restart: false; remainingMs: number; delayMs: number };

/**
 * RestartBackoff is the per-container restart back-off the kubelet applies: the first restart
 * is immediate, later ones wait 10 s doubling up to 5 minutes, counted from when the container
 * exited; a container that ran 10 minutes, or a key quiet that long, starts over.
 */
export class RestartBackoff {
  readonly #entries = new Map<string, Entry>();

  /**
   * decide answers for a container that exited at finishedAt after starting at startedAt; when
   * it says restart, the back-off advances, so call it once per restart.
   */
  decide(key: string, startedAt: number, finishedAt: number, now: number): BackoffDecision {
    let entry = this.#entries.get(key);
    if (
      entry &&
      (now - entry.updatedAt > restartBackoffResetMs ||
        finishedAt - startedAt >= restartBackoffResetMs)
    ) {
      this.#entries.delete(key);
      entry = undefined;
    }
    if (entry && now - finishedAt < entry.delayMs) {
      return {
        restart: false,
        remainingMs: entry.delayMs - (now - finishedAt),
        delayMs: entry.delayMs,
      };
    }
    const delayMs = entry
      ? Math.min(entry.delayMs * 2, restartBackoffMaxMs)
      : restartBackoffInitialMs;
    this.#entries.set(key, { delayMs, updatedAt: now });
    return { restart: true };
  }

  /** forget drops every key that starts with prefix (a pod's containers once it is gone). */
  forget(prefix: string): void {
    for (const k of this.#entries.keys()) if (k.startsWith(prefix)) this.#entries.delete(k);
  }
}
