import { describe, expect, it } from 'vitest';
import { parseRegistryMirrors } from './registry-pull.ts';

describe('parseRegistryMirrors', () => {
  it.each([
    ['docker.io=http://127.0.0.1:5000', { 'docker.io': ['http://127.0.0.1:5000'] }],
    [
      'docker.io=http://a:1|https://b, quay.io=https://q/',
      { 'docker.io': ['http://a:1', 'https://b'], 'quay.io': ['https://q'] },
    ],
    ['docker.io=http://a,docker.io=http://b', { 'docker.io': ['http://a', 'http://b'] }],
    ['', {}],
  ])('reads %j', (text, mirrors) => {
    expect(parseRegistryMirrors(text)).toEqual({ mirrors });
  });

  it.each([
    'docker.io',
    '=http://a',
    'docker.io=127.0.0.1:5000',
    'docker.io=ftp://a',
    'docker.io=http://a/path',
  ])('refuses %j', (text) => {
    const parsed = parseRegistryMirrors(text);
    expect('error' in parsed && parsed.error).toMatch(/is not domain=http\(s\):\/\/host\[:port\]/);
  });
});
