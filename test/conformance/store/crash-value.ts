import { createHash } from 'node:crypto';

/** crashValue is a value whose last 64 characters are the sha256 of the rest. */
export function crashValue(i: number): string {
  const body = `${i}:${'x'.repeat(900 + (i % 100))}`;
  return `${body}${createHash('sha256').update(body).digest('hex')}`;
}

/** crashValueIntact tells whether a value's checksum matches its body. */
export function crashValueIntact(value: string): boolean {
  const body = value.slice(0, -64);
  return createHash('sha256').update(body).digest('hex') === value.slice(-64);
}
