/**
 * A writer for the cpio "newc" format the Linux kernel unpacks as an initramfs: per entry a
 * 110-byte ASCII header (magic 070701 and thirteen 8-digit hex fields), the NUL-terminated
 * name and the data, each padded to 4 bytes; a `TRAILER!!!` entry ends the archive.
 */

/** CpioEntry is one file, directory, symbolic link or device node of an archive. */
export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Buffer; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'char'; path: string; major: number; minor: number; mode?: number };

const typeBits = { dir: 0o040000, file: 0o100000, symlink: 0o120000, char: 0o020000 } as const;
const defaultMode = { dir: 0o755, file: 0o644, symlink: 0o777, char: 0o600 } as const;

const pad4 = (n: number) => (4 - (n % 4)) % 4;

function header(fields: number[]): string {
  return `070701${fields.map((f) => (f >>> 0).toString(16).padStart(8, '0')).join('')}`;
}

function record(ino: number, mode: number, data: Buffer, name: string, rdev = [0, 0]): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const head = header([
    ino,
    mode,
    0, // uid
    0, // gid
    mode & typeBits.dir ? 2 : 1, // nlink
    0, // mtime: fixed, so equal inputs give equal archives
    data.length,
    0, // devmajor
    0, // devminor
    rdev[0] ?? 0,
    rdev[1] ?? 0,
    nameBytes.length,
    0, // check
  ]);
  const headName = Buffer.concat([Buffer.from(head, 'ascii'), nameBytes]);
  return Buffer.concat([
    headName,
    Buffer.alloc(pad4(headName.length)),
    data,
    Buffer.alloc(pad4(data.length)),
  ]);
}

/** writeCpio lays out entries (parents before children, as given) as one newc archive. */
export function writeCpio(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of entries) {
    const path = e.path.replace(/^\/+/, '');
    if (!path || path.split('/').includes('..')) {
      throw new RangeError(`bad cpio path ${JSON.stringify(e.path)}`);
    }
    const perm = 'mode' in e && e.mode !== undefined ? e.mode : defaultMode[e.type];
    const mode = typeBits[e.type] | (perm & 0o7777);
    if (e.type === 'file') parts.push(record(ino, mode, e.data, path));
    else if (e.type === 'symlink') parts.push(record(ino, mode, Buffer.from(e.target), path));
    else if (e.type === 'char')
      parts.push(record(ino, mode, Buffer.alloc(0), path, [e.major, e.minor]));
    else parts.push(record(ino, mode, Buffer.alloc(0), path));
    ino += 1;
  }
  parts.push(record(0, 0, Buffer.alloc(0), 'TRAILER!!!'));
  return Buffer.concat(parts);
}
