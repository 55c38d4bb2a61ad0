import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { familiarImageRef, formatImageRef, parseImageRef } from './image-ref.ts';

/** LayerEntry is one file system entry of an image layer. */
export type LayerEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; mode?: number; content: string | Buffer }
  /** A file copied from the host at build time (a static binary). */
  | { type: 'host-file'; path: string; mode?: number; source: string }
  | { type: 'symlink'; path: string; target: string };

/** ImageConfigSpec is the part of an OCI image config a builder chooses. */
export interface ImageConfigSpec {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  User?: string;
  Labels?: Record<string, string>;
}

/** ImageSpec describes an image to build: its reference, layers (bottom first) and config. */
export interface ImageSpec {
  ref: string;
  layers: LayerEntry[][];
  config: ImageConfigSpec;
}

/** BuiltImage names one image written into an archive. */
export interface BuiltImage {
  /** ref is the reference as given. */
  ref: string;
  /** name is the fully qualified reference (`docker.io/library/nginx:1.7.9`). */
  name: string;
  manifestDigest: string;
  /** id is the config digest: the image id Docker and the CRI report. */
  id: string;
}

/** ImageArchive is a tarball that is both an OCI image layout and a `docker save` archive. */
export interface ImageArchive {
  path: string;
  images: BuiltImage[];
}

/** ociMediaType holds the OCI media types the builder writes. */
export const ociMediaType = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

// A fixed time keeps archives byte-identical between builds, so the cache key is the content.
const epoch = new Date('2020-01-01T00:00:00Z');
const builderVersion = 'skiff-image-layout-1';

/** sha256Digest returns `sha256:<hex>` of some bytes. */
export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function blobPath(digest: string): string {
  return `blobs/sha256/${digest.slice('sha256:'.length)}`;
}

async function tarBuffer(
  entries: {
    name: string;
    type: 'directory' | 'file' | 'symlink';
    mode: number;
    data?: Buffer;
    linkname?: string;
  }[],
): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  for (const e of entries) {
    const header = {
      name: e.name,
      type: e.type,
      mode: e.mode,
      mtime: epoch,
      uid: 0,
      gid: 0,
      uname: 'root',
      gname: 'root',
      ...(e.linkname ? { linkname: e.linkname } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (e.type === 'file') p.entry(header, e.data ?? Buffer.alloc(0), cb);
      else p.entry(header, cb);
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** layerTar writes a layer's entries as an uncompressed tar, parent directories first. */
export async function layerTar(layer: LayerEntry[]): Promise<Buffer> {
  const seen = new Set<string>();
  const out: Parameters<typeof tarBuffer>[0] = [];
  const addParents = (path: string) => {
    const parent = posix.dirname(path);
    if (parent === '.' || parent === '/' || seen.has(parent)) return;
    addParents(parent);
    seen.add(parent);
    out.push({ name: `${parent}/`, type: 'directory', mode: 0o755 });
  };
  for (const e of layer) {
    const path = e.path.replace(/^\/+/, '').replace(/\/+$/, '');
    addParents(path);
    if (e.type === 'dir') {
      if (seen.has(path)) continue;
      seen.add(path);
      out.push({ name: `${path}/`, type: 'directory', mode: e.mode ?? 0o755 });
    } else if (e.type === 'symlink') {
      out.push({ name: path, type: 'symlink', mode: 0o777, linkname: e.target });
    } else {
      const data = e.type === 'file' ? Buffer.from(e.content) : readFileSync(e.source);
      out.push({ name: path, type: 'file', mode: e.mode ?? 0o644, data });
    }
  }
  return tarBuffer(out);
}

interface Blob {
  digest: string;
  data: Buffer;
}

function jsonBlob(value: unknown): Blob {
  const data = Buffer.from(JSON.stringify(value));
  return { digest: sha256Digest(data), data };
}

/** archiveKey is the content hash an archive of these specs is cached under. */
export function archiveKey(specs: ImageSpec[]): string {
  const h = createHash('sha256').update(builderVersion);
  for (const spec of specs) {
    h.update(JSON.stringify({ ref: spec.ref, config: spec.config }));
    for (const layer of spec.layers) {
      h.update('\0layer');
      for (const e of layer) {
        h.update(JSON.stringify({ ...e, content: undefined }));
        if (e.type === 'file') h.update(e.content);
        if (e.type === 'host-file') {
          const st = statSync(e.source);
          h.update(`${st.size}:${st.mtimeMs}`);
        }
      }
    }
  }
  return h.digest('hex').slice(0, 32);
}

/**
 * buildImageArchive writes the images into one tarball that `docker load` (docker-save
 * manifest.json) and containerd's import (OCI index.json) both accept. Archives are cached
 * under cacheDir by content, so a second call with the same specs costs a hash.
 */
export async function buildImageArchive(
  specs: ImageSpec[],
  opts: { cacheDir?: string } = {},
): Promise<ImageArchive> {
  const cacheDir = opts.cacheDir ?? join(tmpdir(), 'skiff-image-cache');
  const key = archiveKey(specs);
  const path = join(cacheDir, `images-${key}.tar`);
  const indexPath = `${path}.json`;
  try {
    const images = JSON.parse(readFileSync(indexPath, 'utf8')) as BuiltImage[];
    if (statSync(path).isFile()) return { path, images };
  } catch {
    // not cached yet
  }
  const blobs = new Map<string, Buffer>();
  const layerCache = new Map<LayerEntry[], { diffId: string; digest: string; size: number }>();
  const index: unknown[] = [];
  const dockerManifest: unknown[] = [];
  const images: BuiltImage[] = [];
  for (const spec of specs) {
    const parsed = parseImageRef(spec.ref);
    if ('error' in parsed) throw new Error(`image ${spec.ref}: ${parsed.error}`);
    const layers = [];
    for (const layer of spec.layers) {
      let built = layerCache.get(layer);
      if (!built) {
        const tar = await layerTar(layer);
        const gz = gzipSync(tar, { level: 6 });
        built = { diffId: sha256Digest(tar), digest: sha256Digest(gz), size: gz.length };
        blobs.set(built.digest, gz);
        layerCache.set(layer, built);
      }
      layers.push(built);
    }
    const config = jsonBlob({
      created: epoch.toISOString(),
      architecture: 'amd64',
      os: 'linux',
      config: spec.config,
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map(() => ({ created: epoch.toISOString(), created_by: builderVersion })),
    });
    blobs.set(config.digest, config.data);
    const manifest = jsonBlob({
      schemaVersion: 2,
      mediaType: ociMediaType.manifest,
      config: { mediaType: ociMediaType.config, digest: config.digest, size: config.data.length },
      layers: layers.map((l) => ({
        mediaType: ociMediaType.layerGzip,
        digest: l.digest,
        size: l.size,
      })),
    });
    blobs.set(manifest.digest, manifest.data);
    const name = formatImageRef(parsed);
    index.push({
      mediaType: ociMediaType.manifest,
      digest: manifest.digest,
      size: manifest.data.length,
      annotations: {
        'io.containerd.image.name': name,
        'org.opencontainers.image.ref.name': parsed.tag || parsed.digest,
      },
    });
    dockerManifest.push({
      Config: blobPath(config.digest),
      RepoTags: parsed.tag ? [familiarImageRef(parsed)] : [],
      Layers: layers.map((l) => blobPath(l.digest)),
    });
    images.push({ ref: spec.ref, name, manifestDigest: manifest.digest, id: config.digest });
  }
  const files: Parameters<typeof tarBuffer>[0] = [
    { name: 'blobs/', type: 'directory', mode: 0o755 },
    { name: 'blobs/sha256/', type: 'directory', mode: 0o755 },
  ];
  for (const [digest, data] of blobs) {
    files.push({ name: blobPath(digest), type: 'file', mode: 0o644, data });
  }
  const text = (name: string, value: unknown) =>
    files.push({ name, type: 'file', mode: 0o644, data: Buffer.from(JSON.stringify(value)) });
  text('oci-layout', { imageLayoutVersion: '1.0.0' });
  text('index.json', { schemaVersion: 2, mediaType: ociMediaType.index, manifests: index });
  text('manifest.json', dockerManifest);
  const tar = await tarBuffer(files);
  mkdirSync(dirname(path), { recursive: true });
  // Write then rename: several processes may build the same archive at once.
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, tar);
  renameSync(tmp, path);
  writeFileSync(`${indexPath}.${process.pid}.tmp`, JSON.stringify(images));
  renameSync(`${indexPath}.${process.pid}.tmp`, indexPath);
  return { path, images };
}
