import type { InformerFactory } from './controller/informer-factory.ts';
import { defineExtensionKind } from './plugin.ts';

/**
 * The controller contract: a controller watches some kinds and reconciles one object key at a
 * time toward its desired state. The outcome is a value; one place (the controller runner)
 * decides retries: a thrown error or a retryable failure is retried with back-off, a terminal
 * error is recorded and not retried until the object changes again.
 */

/** ObjectKey names the object to reconcile (namespace is '' for cluster-scoped kinds). */
export interface ObjectKey {
  readonly namespace: string;
  readonly name: string;
}

/** ReconcileResult says what happens next: done, look again later, or a terminal failure. */
export type ReconcileResult =
  | { readonly done: true }
  | { readonly requeueAfterMs: number }
  | { readonly terminal: string };

/** done is the result of a reconcile that reached the desired state. */
export const done: ReconcileResult = Object.freeze({ done: true as const });

/** requeueAfter asks to reconcile the key again after a delay, without counting a failure. */
export function requeueAfter(ms: number): ReconcileResult {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`requeue delay ${ms} ms is invalid`);
  return Object.freeze({ requeueAfterMs: ms });
}

/** terminal reports an error that retrying cannot fix (for example an invalid spec). */
export function terminal(reason: string): ReconcileResult {
  return Object.freeze({ terminal: reason });
}

/** WatchedKind names a kind a controller watches, as apiVersion + kind (`apps/v1`, `Deployment`). */
export interface WatchedKind {
  readonly apiVersion: string;
  readonly kind: string;
}

/** Reconciler reconciles one key; it must be idempotent, since a key may be reconciled again. */
export interface Reconciler {
  reconcile(key: ObjectKey, signal: AbortSignal): Promise<ReconcileResult>;
}

/** Controller is what a controller plugin provides: the kind it owns, what it watches, its reconciler. */
export interface Controller {
  readonly name: string;
  /** owns is the kind whose keys enter the work queue. */
  readonly owns: WatchedKind;
  /** watches lists other kinds whose changes enqueue the owner named in their ownerReferences. */
  readonly watches?: readonly WatchedKind[];
  /** concurrency is how many keys reconcile at once (default 1); one key never runs twice at once. */
  readonly concurrency?: number;
  readonly reconciler: Reconciler;
  /**
   * informers is the factory whose caches the reconciler reads. A runner must enqueue keys from
   * these same informers: keys fed by other informers can reach the reconciler before its
   * cache shows the change, and a reconcile of a stale cache that finds nothing to do is never
   * repeated once the cache catches up.
   */
  readonly informers?: InformerFactory;
}

/** controllerExtension is the extension kind `controller/<name>`. */
export const controllerExtension = defineExtensionKind<Controller>('controller');
