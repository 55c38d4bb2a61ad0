import { describe, expect, it } from 'vitest';
import { familiarImageRef, normalizeImageRef, parseImageRef } from './image-ref.ts';

describe('parseImageRef', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx:latest', 'nginx:latest'],
    ['nginx:1.7.9', 'docker.io/library/nginx:1.7.9', 'nginx:1.7.9'],
    ['gvenkat/vote:v1', 'docker.io/gvenkat/vote:v1', 'gvenkat/vote:v1'],
    ['skiff.local/pause:1', 'skiff.local/pause:1', 'skiff.local/pause:1'],
    ['127.0.0.1:5000/a/b:c', '127.0.0.1:5000/a/b:c', '127.0.0.1:5000/a/b:c'],
    ['localhost/x', 'localhost/x:latest', 'localhost/x:latest'],
    [
      `busybox@sha256:${'a'.repeat(64)}`,
      `docker.io/library/busybox@sha256:${'a'.repeat(64)}`,
      `busybox@sha256:${'a'.repeat(64)}`,
    ],
  ])('%s normalises to %s', (ref, full, familiar) => {
    expect(normalizeImageRef(ref)).toBe(full);
    const parsed = parseImageRef(ref);
    if ('error' in parsed) throw new Error(parsed.error);
    expect(familiarImageRef(parsed)).toBe(familiar);
  });

  it.each([[''], ['Nginx'], ['a//b'], ['x:'], ['x@sha256:12']])('refuses %j', (ref) => {
    expect(parseImageRef(ref)).toHaveProperty('error');
    expect(() => normalizeImageRef(ref)).toThrow();
  });
});
