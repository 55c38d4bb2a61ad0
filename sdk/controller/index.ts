// The controller kit: informers with an indexed cache, the work queue with per-key back-off,
// the runner that applies the reconcile contract, and leader election on Leases.
export * from './backoff.ts';
export * from './informer.ts';
export * from './informer-factory.ts';
export * from './leader-election.ts';
export * from './manual-timers.ts';
export * from './object-cache.ts';
export * from './run-controller.ts';
export * from './start-controller.ts';
export * from './timers.ts';
export * from './work-queue.ts';
