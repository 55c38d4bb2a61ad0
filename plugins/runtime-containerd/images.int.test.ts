import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SkiffError } from '../../sdk/errors.ts';
import { buildImages } from '../../test/fixtures/images/index.ts';
import {
  type NativeContainerd,
  startNativeContainerd,
} from '../../test/harness/containerd-native.ts';
import { pushImage, type Registry, startRegistry } from '../../test/harness/registry.ts';
import { ContainerdClient } from './client.ts';
import { snapshotter } from './content.ts';
import { findImage, imageStatus, importArchive, listImages, removeImage } from './images.ts';
import { pullImage } from './pull.ts';

const busybox = 'skiff.local/busybox:1';
const pause = 'skiff.local/pause:1';

describe('runtime-containerd images over containerd native services', () => {
  let containerd: NativeContainerd;
  let client: ContainerdClient;
  let archive: string;
  let registry: Registry;

  const snapshots = async () =>
    (await client.collect<{ info: { name: string }[] }>('snapshots', 'List', { snapshotter }))
      .flatMap((m) => m.info)
      .map((i) => i.name);
  const leases = async () =>
    (await client.call<{ leases: { id: string }[] }>('leases', 'List', {})).leases;

  beforeAll(async () => {
    archive = (await buildImages([busybox, pause])).path;
    registry = await startRegistry();
    await pushImage(archive, `${registry.address}/test/busybox:pulled`, busybox);
    containerd = await startNativeContainerd();
    client = new ContainerdClient(containerd.socket, 'skiff-test');
  });
  afterAll(async () => {
    client?.close();
    await containerd?.stop();
    await registry?.stop();
  });

  it('imports a tarball into content and overlayfs snapshots, lists and reports it', async () => {
    const names = await importArchive(client, archive);
    expect(names.sort()).toEqual([`${busybox}`, `${pause}`].sort());
    const image = await findImage(client, busybox);
    expect(image?.id).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(image?.chainId).not.toBe('');
    expect(await snapshots()).toContain(image?.chainId);
    expect(await leases()).toEqual([]);

    const { images } = await listImages(client, {} as never);
    expect(images?.flatMap((i) => i.repoTags).sort()).toEqual([busybox, pause].sort());
    const status = await imageStatus(client, { image: { image: busybox } } as never);
    expect(status.image?.id).toBe(image?.id);
    expect(Number(status.image?.size)).toBeGreaterThan(0);
    // A second import of the same archive changes nothing and fails nothing.
    await importArchive(client, archive);
    expect((await listImages(client, {} as never)).images).toHaveLength(2);
  });

  it('refuses a file that is not an image archive and leaves nothing behind', async () => {
    const before = await snapshots();
    const bad = join(containerd.daemon.dir, 'not-an-image.tar');
    writeFileSync(bad, 'hello');
    const err = await importArchive(client, bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SkiffError);
    expect((err as SkiffError).code).toBe('Invalid');
    expect(await snapshots()).toEqual(before);
    expect(await leases()).toEqual([]);
  });

  it('removes an image with its snapshots; removing again is no error', async () => {
    const image = await findImage(client, pause);
    await removeImage(client, { image: { image: pause } } as never);
    expect(await findImage(client, pause)).toBeUndefined();
    expect(await snapshots()).not.toContain(image?.chainId);
    await removeImage(client, { image: { image: pause } } as never);
    expect((await imageStatus(client, { image: { image: pause } } as never)).image).toBeUndefined();
    const err = await imageStatus(client, { image: { image: 'Not A Ref' } } as never).catch(
      (e: unknown) => e,
    );
    expect((err as SkiffError).code).toBe('Invalid');
  });

  it('pulls from a registry with the manifest digest as repo digest; an unknown image is NotFound', async () => {
    const ref = `${registry.address}/test/busybox:pulled`;
    const id = await pullImage(client, ref);
    const status = await imageStatus(client, { image: { image: ref } } as never);
    expect(status.image?.id).toBe(id);
    expect(status.image?.repoTags).toContain(ref);
    expect(status.image?.repoDigests?.[0]).toMatch(
      new RegExp(`^${registry.address}/test/busybox@sha256:[a-f0-9]{64}$`),
    );
    const before = (await listImages(client, {} as never)).images?.length;
    const err = await pullImage(client, `${registry.address}/test/absent:1`).catch(
      (e: unknown) => e,
    );
    expect((err as SkiffError).code).toBe('NotFound');
    expect((await listImages(client, {} as never)).images?.length).toBe(before);
    expect(await leases()).toEqual([]);
  });
});
