import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchImage } from '../../sdk/runtime/registry-pull.ts';
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

  it('serves as a mirror: a pull of docker.io/... skips a dead mirror and takes the next', async () => {
    const archive = await buildImages(['skiff.local/busybox:1']);
    await pushImage(
      archive.path,
      `${registry.address}/mirrored/busybox:7`,
      'skiff.local/busybox:1',
    );
    // Port 9 (discard) has no listener on loopback: the first mirror cannot be reached.
    const mirrors = { 'docker.io': ['http://127.0.0.1:9', `http://${registry.address}`] };
    const image = await fetchImage('docker.io/mirrored/busybox:7', {}, { mirrors });
    const pushed = archive.images.find((i) => i.ref === 'skiff.local/busybox:1');
    expect(`sha256:${createHash('sha256').update(image.config).digest('hex')}`).toBe(pushed?.id);
    // An image no mirror has falls through to its own registry, whose answer is the error.
    await expect(
      fetchImage(
        'registry.invalid/mirrored/none:1',
        {},
        {
          mirrors: { 'registry.invalid': [`http://${registry.address}`] },
        },
      ),
    ).rejects.toThrow(/cannot reach the registry of registry.invalid\/mirrored\/none:1/);
  });
});
