import { execFile } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * bindMount makes source (a directory or a file) appear at target, read-only when asked, so
 * that the VM's virtiofs share exports it. The target is created to match the source.
 */
export async function bindMount(source: string, target: string, readonly = false): Promise<void> {
  if (statSync(source).isDirectory()) {
    mkdirSync(target, { recursive: true });
  } else {
    mkdirSync(dirname(target), { recursive: true });
    closeSync(openSync(target, 'a'));
  }
  await run('mount', ['--bind', source, target]);
  // A read-only bind takes a second step: the flag only applies on remount.
  if (readonly) await run('mount', ['-o', 'remount,bind,ro', target]);
}

// /proc/self/mountinfo escapes spaces and other bytes in paths as octal (\040).
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

/** mountsUnder lists the mount points at or below a directory, deepest first. */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => unescapeMountPath(l.split(' ')[4] ?? ''))
    .filter((p) => p === dir || p.startsWith(prefix));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** unmountUnder unmounts everything mounted at or below a directory (lazily when busy). */
export async function unmountUnder(dir: string): Promise<void> {
  // Stacked mounts on one point need one umount each: repeat until none is left.
  for (let round = 0; round < 8; round++) {
    const points = mountsUnder(dir);
    if (points.length === 0) return;
    for (const p of points) {
      await run('umount', [p]).catch(() => run('umount', ['-l', p]).catch(() => {}));
    }
  }
}
