import { describe, expect, it } from 'vitest';
import { RestartBackoff } from './backoff.ts';

const s = 1000;

describe('RestartBackoff', () => {
  it('restarts at once the first time, then waits 10 s doubling up to 5 minutes', () => {
    const b = new RestartBackoff();
    let now = 0;
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      const finishedAt = now;
      const first = b.decide('p/c', finishedAt - s, finishedAt, now);
      if (first.restart) {
        waits.push(0);
        now += s; // the restarted container runs a second and exits again
        continue;
      }
      waits.push(first.delayMs);
      expect(first.remainingMs).toBe(first.delayMs);
      // still inside the window a moment before it ends
      expect(b.decide('p/c', finishedAt - s, finishedAt, now + first.delayMs - 1).restart).toBe(
        false,
      );
      now += first.delayMs;
      expect(b.decide('p/c', finishedAt - s, finishedAt, now).restart).toBe(true);
      now += s;
    }
    expect(waits).toEqual([0, 10 * s, 20 * s, 40 * s, 80 * s, 160 * s, 300 * s, 300 * s, 300 * s]);
  });

  it.each([
    ['the container ran 10 minutes', 0, 600 * s, 600 * s],
    ['the key was quiet 10 minutes', 0, 1 * s, 700 * s],
  ])('starts over when %s', (_name, startedAt, finishedAt, now) => {
    const b = new RestartBackoff();
    expect(b.decide('k', -2 * s, -s, -s).restart).toBe(true);
    expect(b.decide('k', startedAt, finishedAt, now)).toEqual({ restart: true });
  });

  it('keeps keys apart and forgets a pod', () => {
    const b = new RestartBackoff();
    b.decide('pod1/a', 0, 0, 0);
    b.decide('pod2/a', 0, 0, 0);
    expect(b.decide('pod1/a', 0, 1, 2).restart).toBe(false);
    b.forget('pod1/');
    expect(b.decide('pod1/a', 0, 1, 2).restart).toBe(true);
    expect(b.decide('pod2/a', 0, 1, 2).restart).toBe(false);
  });
});
