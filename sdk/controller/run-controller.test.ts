import { describe, expect, it } from 'vitest';
import {
  done,
  type ObjectKey,
  type ReconcileResult,
  requeueAfter,
  terminal,
} from '../controller.ts';
import { SkiffError } from '../errors.ts';
import type { Logger } from '../plugin.ts';
import { ManualTimers } from './manual-timers.ts';
import { keyOf, parseKey, runController } from './run-controller.ts';
import { WorkQueue } from './work-queue.ts';

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
};

function harness(outcomes: (ReconcileResult | Error)[]) {
  const timers = new ManualTimers();
  const queue = new WorkQueue({ timers, baseMs: 10, maxMs: 1000 });
  const calls: ObjectKey[] = [];
  const logged: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    logged.push({ level, msg, fields });
  const logger: Logger = {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
  };
  const running = runController({
    queue,
    logger,
    reconcile: async (key) => {
      calls.push(key);
      const next = outcomes.shift() ?? done;
      if (next instanceof Error) throw next;
      return next;
    },
  });
  return { timers, queue, calls, logged, running };
}

describe('keyOf and parseKey', () => {
  it.each([
    { meta: { namespace: 'ns', name: 'a' }, key: 'ns/a', parsed: { namespace: 'ns', name: 'a' } },
    { meta: { name: 'node-1' }, key: 'node-1', parsed: { namespace: '', name: 'node-1' } },
  ])('$key', ({ meta, key, parsed }) => {
    expect(keyOf({ metadata: meta })).toBe(key);
    expect(parseKey(key)).toEqual(parsed);
  });
});

describe('runController', () => {
  it('done forgets the key and does not call again', async () => {
    const h = harness([done]);
    h.queue.add('ns/a');
    await settle();
    h.timers.advance(10_000);
    await settle();
    expect(h.calls).toEqual([{ namespace: 'ns', name: 'a' }]);
    await h.running.stop();
  });

  it('retries a thrown error with growing back-off, then forgets on success', async () => {
    const h = harness([new Error('boom'), new Error('boom'), done]);
    h.queue.add('ns/a');
    await settle();
    expect(h.calls).toHaveLength(1);
    expect(h.queue.retries('ns/a')).toBe(1);
    h.timers.advance(9);
    await settle();
    expect(h.calls).toHaveLength(1);
    h.timers.advance(1);
    await settle();
    expect(h.calls).toHaveLength(2);
    h.timers.advance(19);
    await settle();
    expect(h.calls).toHaveLength(2);
    h.timers.advance(1);
    await settle();
    expect(h.calls).toHaveLength(3);
    expect(h.queue.retries('ns/a')).toBe(0);
    expect(h.logged.filter((l) => l.level === 'warn')).toHaveLength(2);
    await h.running.stop();
  });

  it('retries a write conflict like any error but logs it at debug, not as a warning', async () => {
    const conflict = new SkiffError('Conflict', 'the object has been modified');
    const h = harness([conflict, done]);
    h.queue.add('ns/a');
    await settle();
    h.timers.advance(10);
    await settle();
    expect(h.calls).toHaveLength(2);
    expect(h.logged.filter((l) => l.level === 'warn')).toHaveLength(0);
    expect(h.logged.filter((l) => l.level === 'debug')).toHaveLength(1);
    await h.running.stop();
  });

  it('requeueAfter comes back after the delay without counting a failure', async () => {
    const h = harness([requeueAfter(500), done]);
    h.queue.add('a');
    await settle();
    expect(h.queue.retries('a')).toBe(0);
    h.timers.advance(499);
    await settle();
    expect(h.calls).toHaveLength(1);
    h.timers.advance(1);
    await settle();
    expect(h.calls).toHaveLength(2);
    await h.running.stop();
  });

  it('terminal logs the reason and is not retried', async () => {
    const h = harness([terminal('spec.replicas is negative')]);
    h.queue.add('ns/bad');
    await settle();
    h.timers.advance(60_000);
    await settle();
    expect(h.calls).toHaveLength(1);
    expect(h.timers.pending).toBe(0);
    expect(h.logged).toContainEqual(
      expect.objectContaining({
        level: 'error',
        fields: expect.objectContaining({ reason: 'spec.replicas is negative' }),
      }),
    );
    await h.running.stop();
  });

  it('never runs one key on two workers at once', async () => {
    const timers = new ManualTimers();
    const queue = new WorkQueue({ timers });
    let inFlight = 0;
    let most = 0;
    let calls = 0;
    const release: (() => void)[] = [];
    const running = runController({
      queue,
      workers: 4,
      reconcile: async () => {
        calls++;
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise<void>((r) => release.push(r));
        inFlight--;
        return done;
      },
    });
    queue.add('k');
    await settle();
    queue.add('k');
    queue.add('k');
    await settle();
    expect(most).toBe(1);
    release.shift()?.();
    await settle();
    expect(calls).toBe(2);
    release.shift()?.();
    await settle();
    expect(most).toBe(1);
    await running.stop();
  });

  it('stops on abort: waiting workers return', async () => {
    const abort = new AbortController();
    const queue = new WorkQueue({ timers: new ManualTimers() });
    const running = runController({
      queue,
      workers: 3,
      reconcile: async () => done,
      signal: abort.signal,
    });
    abort.abort();
    await running.finished;
    expect(queue.shuttingDown).toBe(true);
  });

  it('leaves queued keys alone once stopped, and the reconcile in flight sees the abort', async () => {
    const abort = new AbortController();
    const queue = new WorkQueue({ timers: new ManualTimers() });
    const seen: string[] = [];
    let sawAbort = false;
    let release = () => {};
    const running = runController({
      queue,
      signal: abort.signal,
      reconcile: async (key, signal) => {
        seen.push(key.name);
        await new Promise<void>((r) => {
          release = r;
        });
        sawAbort = signal.aborted;
        return done;
      },
    });
    queue.add('first');
    await settle();
    queue.add('second');
    abort.abort();
    release();
    await running.finished;
    expect(seen).toEqual(['first']);
    expect(sawAbort).toBe(true);
  });

  it('refuses a worker count that is not a positive integer', () => {
    const queue = new WorkQueue();
    expect(() => runController({ queue, workers: 0, reconcile: async () => done })).toThrow(
      RangeError,
    );
  });
});
