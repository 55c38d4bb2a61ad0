import { describe, expect, it } from 'vitest';
import { isSkiffError } from '../../sdk/errors.ts';
import { checkKey, decodeContinue, encodeContinue, prefixEnd, valueBytes } from './keys.ts';
import { parseStoreSpec } from './open-store.ts';
import { maxValueBytes } from './store.ts';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return isSkiffError(e) ? e.code : `fault: ${String(e)}`;
  }
};

describe('checkKey', () => {
  it.each([
    ['/registry/pods/default/web', 'ok'],
    ['/a', 'ok'],
    ['', 'BadRequest'],
    ['registry/no-slash', 'BadRequest'],
    ['/with space', 'BadRequest'],
    ['/nul\x00', 'BadRequest'],
    ['/é', 'BadRequest'],
    [`/${'x'.repeat(1100)}`, 'BadRequest'],
    [42, 'BadRequest'],
  ])('%j -> %s', (key, want) => {
    expect(codeOf(() => checkKey(key))).toBe(want);
  });
});

describe('valueBytes', () => {
  it.each([
    ['a string', 'hello', 'ok'],
    ['bytes', new Uint8Array([1, 2, 3]), 'ok'],
    ['too large', 'x'.repeat(maxValueBytes + 1), 'RequestEntityTooLarge'],
    ['a number', 7, 'BadRequest'],
  ])('%s -> %s', (_name, value, want) => {
    expect(codeOf(() => valueBytes(value as string))).toBe(want);
  });
});

describe('continue tokens', () => {
  it('round-trip and refuse tokens of another prefix or garbage', () => {
    const token = encodeContinue({ revision: 12, after: '/a/b' });
    expect(decodeContinue(token, '/a/')).toEqual({ revision: 12, after: '/a/b' });
    expect(codeOf(() => decodeContinue(token, '/other/'))).toBe('BadRequest');
    expect(codeOf(() => decodeContinue('%%%', '/a/'))).toBe('BadRequest');
  });

  it('prefixEnd bounds every key that extends the prefix', () => {
    const end = prefixEnd('/a');
    for (const k of ['/a', '/a~', '/a/b', '/a!']) expect(k < end).toBe(true);
    expect('/b' < end).toBe(false);
  });
});

describe('parseStoreSpec', () => {
  it.each([
    ['sqlite:/var/lib/skiff/state.db', { kind: 'sqlite', path: '/var/lib/skiff/state.db' }],
    [
      'etcd:http://h1:2379,http://h2:2379',
      { kind: 'etcd', hosts: ['http://h1:2379', 'http://h2:2379'] },
    ],
  ])('%s', (spec, want) => {
    expect(parseStoreSpec(spec)).toEqual(want);
  });

  it.each(['sqlite:', 'etcd:h1:2379', 'etcd:http://h1', 'redis://x', ''])('refuses %j', (spec) => {
    expect(codeOf(() => parseStoreSpec(spec))).toBe('BadRequest');
  });
});
