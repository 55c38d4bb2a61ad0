import type { ObjectKey, ReconcileResult, Reconciler } from '../controller.ts';
import { isSkiffError } from '../errors.ts';
import type { Logger } from '../plugin.ts';
import { parseKey } from './keys.ts';
import type { WorkQueue } from './work-queue.ts';

export { keyOf, parseKey } from './keys.ts';

/** ReconcileFunction reconciles one key; the runner decides what its outcome means. */
export type ReconcileFunction = (key: ObjectKey, signal: AbortSignal) => Promise<ReconcileResult>;

/** RunControllerOptions say which queue to drain, how to reconcile and with how many workers. */
export interface RunControllerOptions {
  readonly queue: WorkQueue;
  readonly reconcile: ReconcileFunction | Reconciler;
  /** workers is how many keys reconcile at once (default 1); one key never runs twice at once. */
  readonly workers?: number;
  readonly logger?: Logger;
  /** signal stops the workers: the queue shuts down and reconciles in flight see the abort. */
  readonly signal?: AbortSignal;
}

/** RunningController is a started controller; stop() shuts the queue and waits for the workers. */
export interface RunningController {
  stop(): Promise<void>;
  /** finished settles when every worker has returned. */
  readonly finished: Promise<void>;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * runController drains a work queue with workers, applying the reconcile contract. This is the
 * one place that decides retries: done forgets the key's back-off; requeueAfter adds the key
 * back after the delay without counting a failure; a thrown error retries with the key's
 * back-off; terminal logs the reason and forgets the key, which comes back only when its
 * object changes again.
 */
export function runController(options: RunControllerOptions): RunningController {
  const { queue } = options;
  const logger = options.logger ?? silent;
  const reconcile: ReconcileFunction =
    typeof options.reconcile === 'function'
      ? options.reconcile
      : options.reconcile.reconcile.bind(options.reconcile);
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1)
    throw new RangeError(`workers must be a positive integer, not ${workers}`);
  const abort = new AbortController();
  const stop = () => {
    abort.abort();
    queue.shutDown();
  };
  if (options.signal?.aborted) stop();
  options.signal?.addEventListener('abort', stop, { once: true });

  const work = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      if (abort.signal.aborted) {
        // A stopped controller (say, one that lost its Lease) must not act on queued keys.
        queue.done(key);
        return;
      }
      try {
        const result = await reconcile(parseKey(key), abort.signal);
        if ('done' in result) queue.forget(key);
        else if ('requeueAfterMs' in result) {
          queue.forget(key);
          queue.addAfter(key, result.requeueAfterMs);
        } else {
          logger.error('reconcile failed for good; not retried until the object changes', {
            key,
            reason: result.terminal,
          });
          queue.forget(key);
        }
      } catch (err) {
        if (abort.signal.aborted) continue;
        const delay = queue.addRateLimited(key);
        // A write that lost to another writer is routine for a level-based controller: the
        // retry reads the newer object. Only other failures are worth a warning.
        const log = isSkiffError(err, 'Conflict') ? logger.debug : logger.warn;
        log.call(logger, 'reconcile failed; retrying', {
          key,
          error: err instanceof Error ? err.message : String(err),
          retryInMs: delay,
        });
      } finally {
        queue.done(key);
      }
    }
  };
  const finished = Promise.all(Array.from({ length: workers }, work)).then(() => {
    options.signal?.removeEventListener('abort', stop);
  });
  return {
    finished,
    async stop() {
      stop();
      await finished;
    },
  };
}
