import type { CompactionOptions, Store } from './store.ts';

/** defaultCompaction compacts every five minutes, as the Kubernetes API server does. */
export const defaultCompaction: CompactionOptions = { intervalMs: 5 * 60_000 };

/**
 * startAutoCompaction compacts a store every interval up to the revision the previous run saw,
 * and returns the function that stops it. Failures are reported and the next run tries again.
 */
export function startAutoCompaction(
  store: Pick<Store, 'compact' | 'currentRevision'>,
  options: CompactionOptions,
  onError: (error: unknown) => void,
): () => void {
  if (options.intervalMs <= 0) return () => {};
  let previous = 0;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void (async () => {
      try {
        const now = await store.currentRevision();
        if (previous > 0) await store.compact(previous);
        previous = now;
      } catch (error) {
        onError(error);
      } finally {
        running = false;
      }
    })();
  }, options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
