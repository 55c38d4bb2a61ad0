import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImages } from '../fixtures/images/index.ts';
import { type Dockerd, startDockerd } from './dockerd.ts';
import { pushImage, type Registry, startRegistry } from './registry.ts';

let registry: Registry;
let dockerd: Dockerd;
beforeAll(async () => {
  registry = await startRegistry();
  dockerd = await startDockerd();
});
afterAll(async () => {
  await dockerd?.stop();
  await registry?.stop();
});

describe('registry harness', () => {
  it('pushes an image with the HTTP API and serves its manifest', async () => {
    const archive = await buildImages(['skiff.local/busybox:1']);
    const digest = await pushImage(archive.path, `${registry.address}/tools/busybox:1`);
    const res = await fetch(`http://${registry.address}/v2/tools/busybox/manifests/1`, {
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(digest);
    const tags = await (
      await fetch(`http://${registry.address}/v2/tools/busybox/tags/list`)
    ).json();
    expect(tags).toEqual({ name: 'tools/busybox', tags: ['1'] });
  });

  it('dockerd pulls from it over plain http (127.0.0.1 counts as insecure)', async () => {
    const archive = await buildImages(['skiff.local/busybox:1', 'nginx:1.7.9']);
    const ref = `${registry.address}/library/web:2`;
    await pushImage(archive.path, ref, 'docker.io/library/nginx:1.7.9');
    const stream = await dockerd.docker.pull(ref);
    await new Promise<void>((resolve, reject) =>
      dockerd.docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())),
    );
    const image = await dockerd.docker.getImage(ref).inspect();
    expect(image.Id).toBe(archive.images.find((i) => i.ref === 'nginx:1.7.9')?.id);
  });

  it('names the missing image when the archive lacks it', async () => {
    const archive = await buildImages(['skiff.local/busybox:1']);
    await expect(pushImage(archive.path, `${registry.address}/x:1`, 'nope:1')).rejects.toThrow(
      /no image nope:1/,
    );
  });
});
