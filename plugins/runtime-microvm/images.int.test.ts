import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SkiffError } from '../../sdk/errors.ts';
import { buildImageArchive } from '../../sdk/runtime/image-layout.ts';
import { buildImages } from '../../test/fixtures/images/index.ts';
import { pushImage, type Registry, startRegistry } from '../../test/harness/registry.ts';
import { ImageStore } from './images.ts';

const busybox = 'skiff.local/busybox:1';
const dir = mkdtempSync(join(tmpdir(), 'skiff-microvm-images-'));
let registry: Registry;
let archive: string;

beforeAll(async () => {
  archive = (await buildImages([busybox])).path;
  registry = await startRegistry();
});

afterAll(async () => {
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('micro-VM image store', () => {
  it('imports a tarball, lists and finds it by name and id, and unpacks its root once', async () => {
    const store = new ImageStore(join(dir, 'a'));
    expect(await store.importArchive(archive)).toEqual([`${busybox}`]);
    const [image] = store.list();
    expect(image).toMatchObject({ names: [busybox], manifestDigest: '' });
    expect(image!.id).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(image!.size).toBeGreaterThan(0);
    expect(store.find(busybox)?.id).toBe(image!.id);
    expect(store.find(image!.id)?.names).toEqual([busybox]);
    expect(store.find('skiff.local/absent:1')).toBeUndefined();
    expect(store.config(image!).config?.Cmd).toEqual(['sh']);

    const [a, b] = await Promise.all([store.rootfs(image!), store.rootfs(image!)]);
    expect(a).toBe(b);
    expect(lstatSync(join(a!, 'bin/busybox')).isFile()).toBe(true);
    expect(lstatSync(join(a!, 'bin/busybox')).mode & 0o111).not.toBe(0);

    store.remove(busybox);
    expect(store.list()).toEqual([]);
    expect(existsSync(a!)).toBe(false);
    store.remove(busybox);
  });

  it('refuses a file that is no image archive and a bad reference, changing nothing', async () => {
    const store = new ImageStore(join(dir, 'b'));
    const junk = join(dir, 'junk.tar');
    writeFileSync(junk, 'not a tar');
    await expect(store.importArchive(junk)).rejects.toBeInstanceOf(SkiffError);
    expect(() => store.find('Bad Name')).toThrow(SkiffError);
    expect(store.list()).toEqual([]);
  });

  it('applies whiteouts and opaque directories of upper layers', async () => {
    const built = await buildImageArchive([
      {
        ref: 'skiff.local/layered:1',
        layers: [
          [
            { type: 'file', path: 'keep.txt', content: 'keep' },
            { type: 'file', path: 'gone.txt', content: 'gone' },
            { type: 'file', path: 'opaque/old.txt', content: 'old' },
            { type: 'symlink', path: 'link', target: 'keep.txt' },
          ],
          [
            { type: 'file', path: '.wh.gone.txt', content: '' },
            { type: 'file', path: 'opaque/.wh..wh..opq', content: '' },
            { type: 'file', path: 'opaque/new.txt', content: 'new' },
          ],
        ],
        config: { Cmd: ['true'] },
      },
    ]);
    const store = new ImageStore(join(dir, 'c'));
    await store.importArchive(built.path);
    const root = await store.rootfs(store.find('skiff.local/layered:1')!);
    expect(readFileSync(join(root, 'keep.txt'), 'utf8')).toBe('keep');
    expect(existsSync(join(root, 'gone.txt'))).toBe(false);
    expect(existsSync(join(root, '.wh.gone.txt'))).toBe(false);
    expect(existsSync(join(root, 'opaque/old.txt'))).toBe(false);
    expect(readFileSync(join(root, 'opaque/new.txt'), 'utf8')).toBe('new');
    expect(readlinkSync(join(root, 'link'))).toBe('keep.txt');
  });

  it('pulls from a registry with the repo digest, and answers NotFound for an absent image', async () => {
    const store = new ImageStore(join(dir, 'd'));
    const ref = `${registry.address}/microvm/busybox:pulled`;
    await pushImage(archive, ref, busybox);
    const id = await store.pull(ref);
    const image = store.find(ref)!;
    expect(image.id).toBe(id);
    expect(store.repoDigests(image)).toEqual([
      expect.stringMatching(/^127\.0\.0\.1:\d+\/microvm\/busybox@sha256:/),
    ]);
    await expect(store.pull(`${registry.address}/microvm/absent:1`)).rejects.toMatchObject({
      code: 'NotFound',
    });
    expect(store.list().map((i) => i.id)).toEqual([id]);
  });
});
