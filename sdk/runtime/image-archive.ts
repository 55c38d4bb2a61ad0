import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import { extract, pack } from 'tar-stream';
import { familiarImageRef, parseImageRef } from './image-ref.ts';

/** ArchiveFiles holds the regular files of a tarball by normalised path. */
export type ArchiveFiles = Map<string, Buffer>;

/** readArchive loads every regular file of a tar archive into memory (image tarballs are small). */
export async function readArchive(path: string): Promise<ArchiveFiles> {
  const files: ArchiveFiles = new Map();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        if (header.type === 'file') files.set(posix.normalize(header.name), Buffer.concat(chunks));
        next();
      });
      stream.on('error', reject);
    });
    ex.on('finish', () => resolve());
    ex.on('error', reject);
  });
  const input = createReadStream(path);
  input.on('error', (err) => ex.destroy(err));
  input.pipe(ex);
  await done;
  return files;
}

/** ArchiveImage is one image found in a tarball, described the same way for both formats. */
export interface ArchiveImage {
  /** names are the references the archive gives the image (may be empty). */
  names: string[];
  /** config is the path of the image config inside the archive. */
  config: string;
  /** layers are the paths of the layer blobs (maybe compressed), bottom first. */
  layers: string[];
}

interface DockerManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  annotations?: Record<string, string>;
}

const blobOf = (digest: string) => `blobs/${digest.replace(':', '/')}`;

function jsonFile<T>(files: ArchiveFiles, path: string): T {
  const data = files.get(path);
  if (!data) throw new Error(`the archive has no ${path}`);
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch {
    throw new Error(`${path} in the archive is not valid JSON`);
  }
}

/**
 * archiveImages lists the images of a `docker save` archive (manifest.json) or an OCI image
 * layout (index.json, nested indexes followed); a faulty archive throws with the reason.
 */
export function archiveImages(files: ArchiveFiles): ArchiveImage[] {
  if (files.has('manifest.json')) {
    const entries = jsonFile<DockerManifestEntry[]>(files, 'manifest.json');
    if (!Array.isArray(entries)) throw new Error('manifest.json is not a list');
    return entries.map((e) => ({
      names: e.RepoTags ?? [],
      config: posix.normalize(e.Config),
      layers: e.Layers.map((l) => posix.normalize(l)),
    }));
  }
  if (!files.has('index.json')) {
    throw new Error('not an image archive: it has neither manifest.json nor index.json');
  }
  const images: ArchiveImage[] = [];
  const walk = (index: { manifests?: Descriptor[] }, inherited: string[]) => {
    for (const d of index.manifests ?? []) {
      const a = d.annotations ?? {};
      const name = a['io.containerd.image.name'] ?? a['org.opencontainers.image.ref.name'];
      const names = name?.includes('/') || name?.includes(':') ? [name] : inherited;
      const body = jsonFile<{
        manifests?: Descriptor[];
        config?: Descriptor;
        layers?: Descriptor[];
      }>(files, blobOf(d.digest));
      if (body.manifests) {
        walk(body, names);
      } else if (body.config) {
        images.push({
          names,
          config: blobOf(body.config.digest),
          layers: (body.layers ?? []).map((l) => blobOf(l.digest)),
        });
      }
    }
  };
  walk(jsonFile(files, 'index.json'), []);
  return images;
}

/**
 * dockerArchive returns a tarball `docker load` accepts: the archive itself when it has a
 * manifest.json, else a copy with one written from its OCI index (names become RepoTags).
 */
export async function dockerArchive(files: ArchiveFiles): Promise<Buffer | undefined> {
  if (files.has('manifest.json')) return undefined;
  const images = archiveImages(files);
  const manifest = images.map((i) => ({
    Config: i.config,
    RepoTags: i.names.flatMap((n) => {
      const parsed = parseImageRef(n);
      return 'error' in parsed || !parsed.tag ? [] : [familiarImageRef(parsed)];
    }),
    Layers: i.layers,
  }));
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  const add = (name: string, data: Buffer) =>
    new Promise<void>((resolve, reject) =>
      p.entry({ name, mode: 0o644 }, data, (err) => (err ? reject(err) : resolve())),
    );
  for (const [name, data] of files) await add(name, data);
  await add('manifest.json', Buffer.from(JSON.stringify(manifest)));
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/**
 * checkImageArchive reads an image tarball and lists its images, or throws an error that
 * says what is wrong with the file (not a tar, no images, a missing blob).
 */
export async function checkImageArchive(
  path: string,
): Promise<{ files: ArchiveFiles; images: ArchiveImage[] }> {
  let files: ArchiveFiles;
  try {
    files = await readArchive(path);
  } catch (err) {
    throw new Error(
      `${path} is not a tar archive: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const images = archiveImages(files);
  if (images.length === 0) throw new Error(`${path} holds no image`);
  for (const image of images) {
    for (const blob of [image.config, ...image.layers]) {
      if (!files.has(blob)) throw new Error(`${path} lacks ${blob}, which an image refers to`);
    }
  }
  return { files, images };
}
