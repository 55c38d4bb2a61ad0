import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArchive } from '../../../sdk/runtime/image-archive.ts';
import { buildImages } from '../../../test/fixtures/images/index.ts';
import { type Dockerd, startDockerd } from '../../../test/harness/dockerd.ts';

const run = promisify(execFile);
const skiff = join(import.meta.dirname, '..', 'skiff.mjs');

let dockerd: Dockerd;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-image-import-'));
  dockerd = await startDockerd();
});
afterAll(async () => {
  await dockerd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function importFiles(
  ...files: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [
      skiff,
      'image',
      'import',
      ...files,
      '--docker-host',
      dockerd.host,
    ]);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function tags(): Promise<string[]> {
  return (await dockerd.docker.listImages()).flatMap((i) => i.RepoTags ?? []).sort();
}

async function writeTar(path: string, files: Map<string, Buffer>): Promise<void> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => p.on('end', () => resolve()));
  for (const [name, data] of files) p.entry({ name }, data);
  p.finalize();
  await done;
  writeFileSync(path, Buffer.concat(chunks));
}

describe('skiff image import', () => {
  it('imports a tarball holding several images, each under its name', async () => {
    const archive = await buildImages(['nginx:1.7.9', 'centos:7']);
    const r = await importFiles(archive.path);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual([
      'imported docker.io/library/centos:7',
      'imported docker.io/library/nginx:1.7.9',
    ]);
    expect(await tags()).toEqual(['centos:7', 'nginx:1.7.9']);
  });

  it('imports an OCI image layout that has no docker manifest.json', async () => {
    const archive = await buildImages(['gvenkat/vote:v1']);
    const files = await readArchive(archive.path);
    files.delete('manifest.json');
    const oci = join(dir, 'oci-only.tar');
    await writeTar(oci, files);
    const r = await importFiles(oci);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('imported docker.io/gvenkat/vote:v1\n');
    expect(await tags()).toContain('gvenkat/vote:v1');
  });

  it('refuses a file that is not an image archive, naming the problem, and imports nothing', async () => {
    const before = await tags();
    const notTar = join(dir, 'not-a-tar.tar');
    writeFileSync(notTar, 'hello');
    const empty = join(dir, 'empty.tar');
    await writeTar(empty, new Map([['readme.txt', Buffer.from('no images here')]]));
    const broken = join(dir, 'broken.tar');
    const files = await readArchive((await buildImages(['skiff.local/busybox:1'])).path);
    for (const name of files.keys()) {
      if (name.startsWith('blobs/') && (files.get(name)?.length ?? 0) > 100_000) files.delete(name);
    }
    await writeTar(broken, files);
    for (const [file, message] of [
      [join(dir, 'missing.tar'), /no such file/],
      [notTar, /not an image archive|not a tar archive/],
      [empty, /neither manifest.json nor index.json/],
      [broken, /lacks blobs\/sha256\//],
    ] as const) {
      const r = await importFiles(file);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(message);
    }
    expect(await tags()).toEqual(before);
  });
});
