import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findBusybox } from '../../../sdk/runtime/base-images.ts';
import { writeCpio } from './cpio.ts';

describe('writeCpio', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  // busybox's own cpio reads the archive back: the same newc reader family as the kernel's.
  const unpack = (archive: Buffer): string => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-cpio-test-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'archive.cpio'), archive);
    execFileSync(findBusybox(), ['cpio', '-i', '-d', '-F', join(dir, 'archive.cpio')], {
      cwd: join(dir),
      stdio: 'pipe',
    });
    return dir;
  };

  it('writes directories, files of every padding, symbolic links and modes that unpack back', () => {
    const files = ['', 'a', 'ab', 'abc', 'abcd', 'abcde'].map((content, i) => ({
      type: 'file' as const,
      path: `etc/f${'x'.repeat(i)}`,
      data: Buffer.from(content),
    }));
    const dir = unpack(
      writeCpio([
        { type: 'dir', path: 'etc' },
        { type: 'dir', path: 'tmp', mode: 0o1777 },
        ...files,
        { type: 'file', path: '/init', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
        { type: 'symlink', path: 'etc/link', target: '/etc/fx' },
      ]),
    );
    files.forEach((f) => {
      expect(readFileSync(join(dir, f.path), 'utf8')).toBe(f.data.toString());
    });
    expect(lstatSync(join(dir, 'init')).mode & 0o7777).toBe(0o755);
    expect(lstatSync(join(dir, 'tmp')).mode & 0o7777).toBe(0o1777);
    expect(readlinkSync(join(dir, 'etc/link'))).toBe('/etc/fx');
  });

  it('ends with the TRAILER!!! entry and pads to 4 bytes', () => {
    const archive = writeCpio([{ type: 'file', path: 'x', data: Buffer.from('y') }]);
    expect(archive.length % 4).toBe(0);
    expect(archive.toString('latin1')).toContain('TRAILER!!!\0');
    expect(archive.subarray(0, 6).toString()).toBe('070701');
  });

  it('records a character device with its numbers', () => {
    const archive = writeCpio([{ type: 'char', path: 'dev/console', major: 5, minor: 1 }]);
    const head = archive.subarray(0, 110).toString('ascii');
    const field = (i: number) => Number.parseInt(head.slice(6 + i * 8, 14 + i * 8), 16);
    expect(field(1)).toBe(0o020600); // mode: character device, rw for root
    expect([field(9), field(10)]).toEqual([5, 1]); // rdevmajor, rdevminor
  });

  it.each([['../escape'], ['a/../../b'], ['/'], ['']])('refuses the path %j', (path) => {
    expect(() => writeCpio([{ type: 'dir', path }])).toThrow(/bad cpio path/);
  });
});
