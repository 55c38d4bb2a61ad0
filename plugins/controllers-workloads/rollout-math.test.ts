import { describe, expect, it } from 'vitest';
import { rollingLimits, scaledValue, templateHash } from './rollout-math.ts';

describe('rollout math', () => {
  it.each([
    [2, 10, true, 2],
    ['25%', 10, true, 3],
    ['25%', 10, false, 2],
    ['0%', 3, true, 0],
    ['100%', 3, false, 3],
    ['5', 3, false, 5],
    ['x%', 3, false, undefined],
    [-1, 3, false, undefined],
  ] as const)('scaledValue(%j of %i, up=%s) is %j', (value, total, up, want) => {
    expect(scaledValue(value, total, up)).toBe(want);
  });

  it('rounds surge up and unavailable down, and never leaves both at zero', () => {
    expect(rollingLimits('25%', '25%', 3)).toEqual({ surge: 1, unavailable: 0 });
    expect(rollingLimits(0, 0, 3)).toEqual({ surge: 0, unavailable: 1 });
    expect(rollingLimits('a', 0, 3)).toMatch(/maxSurge/);
  });

  it('hashes equal templates equally whatever the key order, and differently otherwise', () => {
    const a = templateHash({ metadata: { labels: { a: '1' } }, spec: { x: 1, y: 2 } });
    expect(templateHash({ spec: { y: 2, x: 1 }, metadata: { labels: { a: '1' } } })).toBe(a);
    expect(templateHash({ spec: { y: 3, x: 1 }, metadata: { labels: { a: '1' } } })).not.toBe(a);
    expect(templateHash({ spec: {} }, 1)).not.toBe(templateHash({ spec: {} }));
    expect(a).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
  });
});
