import { describe, expect, it } from 'vitest';
import { KeyBackoff } from './backoff.ts';
import { ManualTimers } from './manual-timers.ts';
import { WorkQueue } from './work-queue.ts';

const queue = (timers = new ManualTimers()) => ({
  timers,
  q: new WorkQueue({ timers, baseMs: 10, maxMs: 100 }),
});

describe('KeyBackoff', () => {
  it.each([
    { failures: 1, delay: 10 },
    { failures: 2, delay: 20 },
    { failures: 3, delay: 40 },
    { failures: 4, delay: 80 },
    { failures: 5, delay: 100 },
    { failures: 60, delay: 100 },
  ])('waits $delay ms on failure $failures (base 10, cap 100)', ({ failures, delay }) => {
    const b = new KeyBackoff({ baseMs: 10, maxMs: 100 });
    let last = 0;
    for (let i = 0; i < failures; i++) last = b.next('k');
    expect(last).toBe(delay);
  });

  it('counts keys apart and starts over after forget', () => {
    const b = new KeyBackoff({ baseMs: 10, maxMs: 100 });
    b.next('a');
    b.next('a');
    expect(b.next('b')).toBe(10);
    expect(b.failures('a')).toBe(2);
    b.forget('a');
    expect(b.failures('a')).toBe(0);
    expect(b.next('a')).toBe(10);
  });

  it.each([{ baseMs: 0 }, { baseMs: -1 }, { baseMs: 10, maxMs: 5 }, { baseMs: Number.NaN }])(
    'refuses %o',
    (opts) => {
      expect(() => new KeyBackoff(opts)).toThrow(RangeError);
    },
  );
});

describe('WorkQueue', () => {
  it('holds one entry per key however often it is added', async () => {
    const { q } = queue();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(q.length).toBe(0);
  });

  it('never hands out a key being processed; a key re-added meanwhile comes back after done', async () => {
    const { q } = queue();
    q.add('a');
    const first = await q.get();
    q.add('a');
    q.add('a');
    expect(q.length).toBe(0);
    let second: string | undefined;
    void q.get().then((k) => {
      second = k;
    });
    await Promise.resolve();
    expect(second).toBeUndefined();
    q.done(first as string);
    await Promise.resolve();
    expect(second).toBe('a');
    q.done('a');
    expect(q.length).toBe(0);
  });

  it('wakes a waiting getter on add', async () => {
    const { q } = queue();
    const got = q.get();
    q.add('x');
    expect(await got).toBe('x');
  });

  it('adds after a delay, the earliest pending delay winning', async () => {
    const { q, timers } = queue();
    q.addAfter('a', 50);
    q.addAfter('a', 20);
    q.addAfter('a', 80);
    timers.advance(19);
    expect(q.length).toBe(0);
    timers.advance(1);
    expect(q.length).toBe(1);
    timers.advance(100);
    expect(q.length).toBe(1);
    expect(timers.pending).toBe(0);
  });

  it('backs a key off exponentially until forget', () => {
    const { q, timers } = queue();
    expect([q.addRateLimited('a'), q.addRateLimited('a'), q.addRateLimited('a')]).toEqual([
      10, 20, 40,
    ]);
    expect(q.retries('a')).toBe(3);
    timers.advance(10);
    expect(q.length).toBe(1);
    q.forget('a');
    expect(q.retries('a')).toBe(0);
    expect(q.addRateLimited('a')).toBe(10);
  });

  it('shuts down: getters get undefined, delayed adds are dropped, adds are ignored', async () => {
    const { q, timers } = queue();
    const waiting = q.get();
    q.addAfter('later', 10);
    q.shutDown();
    expect(await waiting).toBeUndefined();
    timers.advance(100);
    q.add('x');
    expect(q.length).toBe(0);
    expect(await q.get()).toBeUndefined();
    expect(q.shuttingDown).toBe(true);
  });
});
