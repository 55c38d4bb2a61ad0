import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../../sdk/errors.ts';
import { checkImageArchive } from '../../sdk/runtime/image-archive.ts';
import { sha256Digest } from '../../sdk/runtime/image-layout.ts';
import { formatImageRef, parseImageRef } from '../../sdk/runtime/image-ref.ts';
import {
  fetchImage,
  type RegistryAuth,
  type RegistryMirrors,
} from '../../sdk/runtime/registry-pull.ts';
import { applyLayer } from './unpack.ts';

/** ImageConfig is the part of an OCI image config the adapter reads. */
export interface ImageConfig {
  config?: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
  };
}

/** StoredImage is one image of the adapter's store. */
export interface StoredImage {
  /** id is the digest of the image config. */
  id: string;
  /** names are the fully qualified references that point at it. */
  names: string[];
  /** layers are the digests of its layer blobs, bottom first. */
  layers: string[];
  /** manifestDigest is the digest of its manifest, when it came from a registry. */
  manifestDigest: string;
  size: number;
}

/** checkedRef parses an image reference or id from a request, or fails with Invalid. */
export function checkedRef(ref: string | undefined): string {
  if (!ref) throw new SkiffError('Invalid', 'image reference is empty');
  if (/^sha256:[a-f0-9]{64}$/.test(ref)) return ref;
  const parsed = parseImageRef(ref);
  if ('error' in parsed) throw new SkiffError('Invalid', parsed.error);
  return formatImageRef(parsed);
}

const hex = (digest: string) => digest.slice('sha256:'.length);

/**
 * ImageStore is the adapter's own image store under a directory: blobs by digest, an index of
 * images and their names, and one unpacked root file system per image (made on first use,
 * then shared read-only by every VM that runs the image).
 */
export class ImageStore {
  readonly #dir: string;
  #unpacking = new Map<string, Promise<string>>();

  constructor(dir: string) {
    this.#dir = dir;
    mkdirSync(join(dir, 'blobs'), { recursive: true });
    mkdirSync(join(dir, 'rootfs'), { recursive: true });
  }

  #indexPath(): string {
    return join(this.#dir, 'images.json');
  }

  /** list returns every image. */
  list(): StoredImage[] {
    try {
      return JSON.parse(readFileSync(this.#indexPath(), 'utf8')) as StoredImage[];
    } catch {
      return [];
    }
  }

  #save(images: StoredImage[]): void {
    const tmp = `${this.#indexPath()}.${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, JSON.stringify(images));
    renameSync(tmp, this.#indexPath());
  }

  #blob(digest: string): string {
    return join(this.#dir, 'blobs', hex(digest));
  }

  #writeBlob(data: Buffer): string {
    const digest = sha256Digest(data);
    const path = this.#blob(digest);
    if (!existsSync(path)) {
      const tmp = `${path}.${randomBytes(4).toString('hex')}`;
      writeFileSync(tmp, data);
      renameSync(tmp, path);
    }
    return digest;
  }

  /** find resolves a reference or image id, or returns undefined when absent. */
  find(ref: string): StoredImage | undefined {
    const name = checkedRef(ref);
    return this.list().find((i) =>
      name.startsWith('sha256:') ? i.id === name : i.names.includes(name),
    );
  }

  /** config reads an image's config. */
  config(image: StoredImage): ImageConfig {
    return JSON.parse(readFileSync(this.#blob(image.id), 'utf8')) as ImageConfig;
  }

  /** repoDigests are the `repo@sha256:…` forms of a pulled image's names. */
  repoDigests(image: StoredImage): string[] {
    if (!image.manifestDigest) return [];
    return [
      ...new Set(
        image.names.map((n) => {
          const p = parseImageRef(n);
          return 'error' in p ? n : `${p.domain}/${p.path}@${image.manifestDigest}`;
        }),
      ),
    ];
  }

  // Blobs first, then one index write: a failure half-way leaves no image, only blobs that
  // the next write of the same content reuses.
  #store(names: string[], config: Buffer, layers: Buffer[], manifestDigest = ''): string {
    try {
      JSON.parse(config.toString('utf8'));
    } catch {
      throw new SkiffError('Invalid', 'the image config is not JSON');
    }
    const id = this.#writeBlob(config);
    const layerDigests = layers.map((l) => this.#writeBlob(l));
    const images = this.list();
    // A name moves to the new image, as a tag does.
    for (const i of images) i.names = i.names.filter((n) => !names.includes(n));
    const existing = images.find((i) => i.id === id);
    const size = config.length + layers.reduce((s, l) => s + l.length, 0);
    if (existing) {
      existing.names = [...new Set([...existing.names, ...names])];
      existing.manifestDigest ||= manifestDigest;
    } else {
      images.push({ id, names, layers: layerDigests, manifestDigest, size });
    }
    this.#save(images.filter((i) => i.names.length > 0 || i.id === id));
    return id;
  }

  /** importArchive loads an image tarball (docker save or OCI layout); a bad file is Invalid. */
  async importArchive(path: string): Promise<string[]> {
    let checked: Awaited<ReturnType<typeof checkImageArchive>>;
    try {
      checked = await checkImageArchive(path);
    } catch (err) {
      throw new SkiffError('Invalid', err instanceof Error ? err.message : String(err));
    }
    const imported: string[] = [];
    for (const image of checked.images) {
      const names = image.names.map((n) => checkedRef(n));
      const blob = (p: string) => checked.files.get(p) as Buffer;
      this.#store(names, blob(image.config), image.layers.map(blob));
      imported.push(...names);
    }
    return imported;
  }

  /** pull fetches an image from its registry and stores it; returns the image id. */
  async pull(
    reference: string,
    auth: RegistryAuth = {},
    mirrors: RegistryMirrors = {},
  ): Promise<string> {
    const name = checkedRef(reference);
    const fetched = await fetchImage(name, auth, { mirrors });
    this.#writeBlob(fetched.manifest.data);
    return this.#store(
      [name],
      fetched.config,
      fetched.layers.map((l) => l.data),
      fetched.manifest.digest,
    );
  }

  /**
   * remove drops an image and its names; its unpacked root stays while inUse says a VM
   * still shares it. Removing an absent image is no error.
   */
  remove(ref: string, inUse: (id: string) => boolean = () => false): void {
    const image = this.find(ref);
    if (!image) return;
    const rest = this.list().filter((i) => i.id !== image.id);
    this.#save(rest);
    const kept = new Set(rest.flatMap((i) => [i.id, ...i.layers]));
    for (const d of [image.id, ...image.layers]) {
      if (!kept.has(d)) rmSync(this.#blob(d), { force: true });
    }
    if (!inUse(image.id)) rmSync(this.rootfsPath(image.id), { recursive: true, force: true });
  }

  /** rootfsPath is where an image's root file system is (or will be) unpacked. */
  rootfsPath(id: string): string {
    return join(this.#dir, 'rootfs', hex(id));
  }

  /** rootfs unpacks an image's layers once (concurrent callers share the work) and returns the directory. */
  rootfs(image: StoredImage): Promise<string> {
    const target = this.rootfsPath(image.id);
    if (existsSync(target)) return Promise.resolve(target);
    let pending = this.#unpacking.get(image.id);
    if (!pending) {
      pending = (async () => {
        // Unpacked beside the target and renamed into place, so a half-made root is never used.
        const tmp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
        try {
          mkdirSync(tmp, { recursive: true });
          for (const l of image.layers) await applyLayer(tmp, readFileSync(this.#blob(l)));
          renameSync(tmp, target);
          return target;
        } catch (err) {
          rmSync(tmp, { recursive: true, force: true });
          throw err;
        }
      })().finally(() => this.#unpacking.delete(image.id));
      this.#unpacking.set(image.id, pending);
    }
    return pending;
  }

  /** usage sums the bytes of the stored blobs. */
  usage(): number {
    return this.list().reduce((s, i) => s + i.size, 0);
  }
}
