import {
  chmodSync,
  closeSync,
  existsSync,
  lchownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract, type Header } from 'tar-stream';

const whiteoutPrefix = '.wh.';
const opaqueMarker = '.wh..wh..opq';

// A path inside root whose every existing parent is a real directory: an entry can never
// reach outside root through `..` or through a symlink an earlier entry planted.
function safeTarget(root: string, name: string): string | undefined {
  const rel = posix.normalize(`/${name}`).slice(1);
  if (rel === '' || rel.startsWith('..')) return undefined;
  const parts = rel.split('/');
  let at = root;
  for (const part of parts.slice(0, -1)) {
    at = join(at, part);
    try {
      if (!lstatSync(at).isDirectory()) return undefined;
    } catch {
      mkdirSync(at, { recursive: true });
    }
  }
  return join(root, rel);
}

function clear(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

function writeEntry(root: string, header: Header, target: string, data: Buffer): void {
  const mode = (header.mode ?? 0o644) & 0o7777;
  const existing = (() => {
    try {
      return lstatSync(target);
    } catch {
      return undefined;
    }
  })();
  if (header.type === 'directory') {
    if (existing && !existing.isDirectory()) clear(target);
    mkdirSync(target, { recursive: true });
    chmodSync(target, mode);
  } else {
    if (existing) clear(target);
    if (header.type === 'file' || header.type === 'contiguous-file') {
      const fd = openSync(target, 'w', mode);
      try {
        writeSync(fd, data);
      } finally {
        closeSync(fd);
      }
      chmodSync(target, mode);
    } else if (header.type === 'symlink') {
      symlinkSync(header.linkname ?? '', target);
    } else if (header.type === 'link') {
      const source = safeTarget(root, header.linkname ?? '');
      if (!source || !existsSync(source)) return;
      linkSync(source, target);
    } else {
      // Device nodes and FIFOs: the guest's agent gives containers their own /dev.
      return;
    }
  }
  lchownSync(target, header.uid ?? 0, header.gid ?? 0);
}

/**
 * applyLayer unpacks one image layer (tar, gzipped or not) onto root, honouring OCI
 * whiteouts: `.wh.NAME` deletes NAME from the layers below, `.wh..wh..opq` empties its
 * directory. Entries that would land outside root are skipped.
 */
export async function applyLayer(root: string, layer: Buffer): Promise<void> {
  const gz = layer[0] === 0x1f && layer[1] === 0x8b;
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('error', reject);
      stream.on('end', () => {
        try {
          const base = posix.basename(header.name);
          const target = safeTarget(root, header.name);
          if (target && base === opaqueMarker) {
            const dir = dirname(target);
            for (const e of readdirSync(dir)) clear(join(dir, e));
          } else if (target && base.startsWith(whiteoutPrefix)) {
            clear(join(dirname(target), base.slice(whiteoutPrefix.length)));
          } else if (target) {
            writeEntry(root, header, target, Buffer.concat(chunks));
          }
          next();
        } catch (err) {
          reject(err);
        }
      });
    });
    ex.on('finish', () => resolve());
    ex.on('error', reject);
  });
  const source = Readable.from([layer]);
  if (gz) {
    const gunzip = createGunzip();
    gunzip.on('error', (err) => ex.destroy(err));
    source.pipe(gunzip).pipe(ex);
  } else {
    source.pipe(ex);
  }
  await done;
}
