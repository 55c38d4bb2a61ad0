import { describe, expect, it } from 'vitest';
import {
  compareQuantities,
  formatQuantity,
  parseQuantity,
  quantityMillis,
  quantityValue,
} from './quantity.ts';

function parsed(text: string | number) {
  const r = parseQuantity(text);
  if (!r.ok) throw new Error(`expected ${text} to parse: ${r.message}`);
  return r.quantity;
}

describe('parseQuantity', () => {
  it.each([
    ['500m', 0.5, 500n, '500m'],
    ['100m', 0.1, 100n, '100m'],
    ['1', 1, 1000n, '1'],
    [2, 2, 2000n, '2'],
    [0.5, 0.5, 500n, '500m'],
    ['1.5', 1.5, 1500n, '1500m'],
    ['128Mi', 128 * 1024 ** 2, 128n * 1024n ** 2n * 1000n, '128Mi'],
    ['1024Mi', 1024 ** 3, 1024n ** 3n * 1000n, '1Gi'],
    ['1536Mi', 1536 * 1024 ** 2, 1536n * 1024n ** 2n * 1000n, '1536Mi'],
    ['1k', 1000, 1000000n, '1k'],
    ['1000', 1000, 1000000n, '1k'],
    ['2G', 2e9, 2000000000000n, '2G'],
    ['1e3', 1000, 1000000n, '1e3'],
    ['1E6', 1e6, 1000000000n, '1e6'],
    ['0', 0, 0n, '0'],
    ['-1', -1, -1000n, '-1'],
    ['+2', 2, 2000n, '2'],
    ['.5', 0.5, 500n, '500m'],
    ['1n', 1e-9, 1n, '1n'],
    ['10u', 1e-5, 1n, '10u'],
    ['0.1Ki', 102.4, 102400n, '102400m'],
  ])('%s is %d base units, %d millis, printed %s', (text, value, millis, canonical) => {
    const q = parsed(text);
    expect(quantityValue(q)).toBeCloseTo(value, 9);
    expect(quantityMillis(q)).toBe(millis);
    expect(formatQuantity(q)).toBe(canonical);
  });

  it.each(['', 'abc', '1.2.3', '12Q', 'Mi', '1 Mi', '--1', '1KiB', '1ki', '5e'])(
    'rejects %j',
    (text) => {
      const r = parseQuantity(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message).toContain('quantities must match');
    },
  );

  it('compares across formats', () => {
    expect(compareQuantities(parsed('1Gi'), parsed('1G'))).toBe(1);
    expect(compareQuantities(parsed('500m'), parsed('0.5'))).toBe(0);
    expect(compareQuantities(parsed('100m'), parsed('1'))).toBe(-1);
  });

  it('rounds millis up like Kubernetes', () => {
    expect(quantityMillis(parsed('1n'))).toBe(1n);
    expect(quantityMillis(parsed('1500u'))).toBe(2n);
  });
});
