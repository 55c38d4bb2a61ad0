import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { pauseImage } from './base-images.ts';
import { archiveImages, readArchive } from './image-archive.ts';
import { buildImageArchive, type ImageSpec, sha256Digest } from './image-layout.ts';

const cacheDir = mkdtempSync(join(tmpdir(), 'skiff-layout-test-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

const tiny: ImageSpec = {
  ref: 'example.test/tiny:2',
  layers: [[{ type: 'file', path: 'etc/hello', content: 'hi\n' }]],
  config: { Cmd: ['/bin/true'], Env: ['PATH=/bin'], WorkingDir: '/' },
};

async function tarNames(data: Buffer): Promise<Map<string, { type: string; mode: number }>> {
  const out = new Map<string, { type: string; mode: number }>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      out.set(h.name, { type: h.type ?? 'file', mode: h.mode ?? 0 });
      stream.on('end', next);
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(data);
  await done;
  return out;
}

describe('buildImageArchive', () => {
  it('writes an OCI layout whose blobs match their digests and reference each other', async () => {
    const archive = await buildImageArchive([tiny, pauseImage('skiff.local/pause:1')], {
      cacheDir,
    });
    const files = await readArchive(archive.path);
    expect(JSON.parse(files.get('oci-layout')!.toString())).toEqual({
      imageLayoutVersion: '1.0.0',
    });
    for (const [path, data] of files) {
      if (path.startsWith('blobs/sha256/')) {
        expect(sha256Digest(data)).toBe(`sha256:${path.slice('blobs/sha256/'.length)}`);
      }
    }
    const index = JSON.parse(files.get('index.json')!.toString());
    expect(
      index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations),
    ).toEqual([
      {
        'io.containerd.image.name': 'example.test/tiny:2',
        'org.opencontainers.image.ref.name': '2',
      },
      {
        'io.containerd.image.name': 'skiff.local/pause:1',
        'org.opencontainers.image.ref.name': '1',
      },
    ]);
    for (const [i, desc] of index.manifests.entries()) {
      const manifestData = files.get(`blobs/${desc.digest.replace(':', '/')}`)!;
      expect(manifestData.length).toBe(desc.size);
      const manifest = JSON.parse(manifestData.toString());
      expect(archive.images[i]?.manifestDigest).toBe(desc.digest);
      expect(archive.images[i]?.id).toBe(manifest.config.digest);
      const config = JSON.parse(
        files.get(`blobs/${manifest.config.digest.replace(':', '/')}`)!.toString(),
      );
      expect(config).toMatchObject({ architecture: 'amd64', os: 'linux' });
      // diff_ids are the digests of the uncompressed layers, in order.
      const diffIds = manifest.layers.map((l: { digest: string }) =>
        sha256Digest(gunzipSync(files.get(`blobs/${l.digest.replace(':', '/')}`)!)),
      );
      expect(config.rootfs).toEqual({ type: 'layers', diff_ids: diffIds });
    }
  });

  it('writes a docker-save manifest.json naming the same config and layers', async () => {
    const archive = await buildImageArchive([tiny], { cacheDir });
    const files = await readArchive(archive.path);
    const saved = JSON.parse(files.get('manifest.json')!.toString());
    expect(saved).toHaveLength(1);
    expect(saved[0].RepoTags).toEqual(['example.test/tiny:2']);
    expect(saved[0].Config).toBe(`blobs/sha256/${archive.images[0]!.id.slice(7)}`);
    for (const layer of saved[0].Layers) expect(files.has(layer)).toBe(true);
    expect(archiveImages(files)).toEqual([
      { names: ['example.test/tiny:2'], config: saved[0].Config, layers: saved[0].Layers },
    ]);
  });

  it('lists OCI-only layouts by their annotations', async () => {
    const archive = await buildImageArchive([tiny], { cacheDir });
    const files = await readArchive(archive.path);
    files.delete('manifest.json');
    const [image] = archiveImages(files);
    expect(image?.names).toEqual(['example.test/tiny:2']);
    expect(files.has(image!.config)).toBe(true);
  });

  it('is byte-identical on rebuild and served from the cache', async () => {
    const first = await buildImageArchive([tiny], { cacheDir });
    const again = await buildImageArchive([tiny], { cacheDir: mkdtempSync(join(cacheDir, 'b-')) });
    expect(again.path).not.toBe(first.path);
    const [a, b] = await Promise.all([readArchive(first.path), readArchive(again.path)]);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    expect((await buildImageArchive([tiny], { cacheDir })).path).toBe(first.path);
  });

  it('puts parent directories before files and keeps modes', async () => {
    const archive = await buildImageArchive([pauseImage('skiff.local/pause:1')], { cacheDir });
    const files = await readArchive(archive.path);
    const manifest = JSON.parse(files.get(archiveImages(files)[0]!.config)!.toString());
    expect(manifest.config.Entrypoint).toEqual(['/pause']);
    const base = archiveImages(files)[0]!.layers[0]!;
    const entries = await tarNames(gunzipSync(files.get(base)!));
    expect(entries.get('tmp/')).toEqual({ type: 'directory', mode: 0o1777 });
    expect(entries.get('bin/busybox')?.mode).toBe(0o755);
    expect(entries.get('bin/sh')?.type).toBe('symlink');
    const names = [...entries.keys()];
    expect(names.indexOf('usr/bin/')).toBeLessThan(
      names.findIndex((n) => n.startsWith('usr/bin/') && n !== 'usr/bin/'),
    );
  });

  it.each([[''], ['UPPER/case:1'], ['nginx:bad tag']])('refuses the reference %j', async (ref) => {
    await expect(buildImageArchive([{ ...tiny, ref }], { cacheDir })).rejects.toThrow(/image/);
  });
});
