import { describe, expect, it } from 'vitest';
import { formatLabels, formatSelector, humanDuration, selectorString, since } from './format.ts';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('humanDuration', () => {
  it.each([
    [-3 * s, '<invalid>'],
    [-1500, '0s'],
    [0, '0s'],
    [5 * s, '5s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [3 * m + 20 * s, '3m20s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [7 * h + 5 * m, '7h5m'],
    [8 * h + 5 * m, '8h'],
    [47 * h, '47h'],
    [2 * d, '2d'],
    [2 * d + 3 * h, '2d3h'],
    [8 * d + 3 * h, '8d'],
    [729 * d, '729d'],
    [2 * 365 * d, '2y'],
    [3 * 365 * d + 10 * d, '3y10d'],
    [9 * 365 * d + 10 * d, '9y'],
  ])('%d ms is %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });

  it('measures a timestamp against now, and says <unknown> without one', () => {
    const now = new Date('2026-01-01T00:10:00Z');
    expect(since('2026-01-01T00:00:00Z', now)).toBe('10m');
    expect(since(undefined, now)).toBe('<unknown>');
    expect(since('yesterday', now)).toBe('<unknown>');
  });
});

describe('label and selector cells', () => {
  it('prints labels sorted, <none> when empty', () => {
    expect(formatLabels({ tier: 'web', app: 'x' })).toBe('app=x,tier=web');
    expect(formatLabels({})).toBe('<none>');
  });

  it('prints a structured selector in canonical order', () => {
    const sel = {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['b', 'a'] },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    };
    // Requirements are ordered by key, whatever their operator.
    expect(selectorString(sel)).toBe('app=web,!canary,tier in (a,b)');
    expect(formatSelector(undefined)).toBe('<none>');
    expect(selectorString(undefined)).toBe('');
  });
});
