import { SkiffError } from '../../sdk/errors.ts';
import { checkImageArchive } from '../../sdk/runtime/image-archive.ts';
import { formatImageRef, type ImageRef, parseImageRef } from '../../sdk/runtime/image-ref.ts';
import type { RpcRequestReceived, RpcResponse } from '../../sdk/runtime/rpcs.ts';
import { type ContainerdClient, containerdError, isAlreadyExists, isNotFound } from './client.ts';
import {
  chainIds,
  type Descriptor,
  gcLabel,
  readBlob,
  unpackLayers,
  withLease,
  writeBlob,
} from './content.ts';

type ImageMessage = NonNullable<RpcResponse<'ImageStatus'>['image']>;

/** imageLabel names the labels the adapter keeps on containerd image records. */
export const imageLabel = {
  /** id is the image id: the digest of its config. */
  id: 'skiff.io/image.id',
  /** size is the sum of the config and layer blob sizes. */
  size: 'skiff.io/image.size',
} as const;

const mediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

/** ImageConfig is the part of an OCI image config the adapter reads. */
export interface ImageConfig {
  config?: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
  };
  rootfs?: { diff_ids?: string[] };
}

/** ContainerdImage is one image as the adapter sees it: its record, id and config. */
export interface ContainerdImage {
  names: string[];
  id: string;
  size: number;
  config: ImageConfig;
  /** chainId names the committed snapshot of the top layer ('' for an image with no layer). */
  chainId: string;
  repoDigests: string[];
}

interface ImageRecord {
  name: string;
  labels: Record<string, string>;
  target: Descriptor;
}

/** checkedRef parses an image reference from a request, or fails with Invalid. */
export function checkedRef(ref: string | undefined): string {
  if (!ref) throw new SkiffError('Invalid', 'image reference is empty');
  if (/^sha256:[a-f0-9]{64}$/.test(ref)) return ref;
  const parsed = parseImageRef(ref);
  if ('error' in parsed) throw new SkiffError('Invalid', parsed.error);
  return formatImageRef(parsed);
}

const configCache = new Map<string, ImageConfig>();

async function configOf(client: ContainerdClient, digest: string): Promise<ImageConfig> {
  let config = configCache.get(digest);
  if (!config) {
    config = JSON.parse((await readBlob(client, digest)).toString('utf8')) as ImageConfig;
    configCache.set(digest, config);
  }
  return config;
}

async function records(client: ContainerdClient): Promise<ImageRecord[]> {
  const { images } = await client.call<{ images: ImageRecord[] }>('images', 'List', {});
  return images.filter((i) => i.labels[imageLabel.id]);
}

async function describe(client: ContainerdClient, group: ImageRecord[]): Promise<ContainerdImage> {
  const first = group[0] as ImageRecord;
  const id = first.labels[imageLabel.id] as string;
  const config = await configOf(client, id);
  const chain = chainIds(config.rootfs?.diff_ids ?? []);
  const names = group.map((r) => r.name).filter((n) => !n.startsWith('sha256:'));
  const repoDigests = [
    ...new Set(
      names.map((n) => {
        const p = parseImageRef(n) as ImageRef;
        return `${p.domain}/${p.path}@${first.target.digest}`;
      }),
    ),
  ];
  return {
    names,
    id,
    size: Number(first.labels[imageLabel.size] ?? 0),
    config,
    chainId: chain[chain.length - 1] ?? '',
    repoDigests,
  };
}

/** listContainerdImages lists the adapter's images, one entry per image id. */
export async function listContainerdImages(client: ContainerdClient): Promise<ContainerdImage[]> {
  const byId = new Map<string, ImageRecord[]>();
  for (const r of await records(client)) {
    const id = r.labels[imageLabel.id] as string;
    byId.set(id, [...(byId.get(id) ?? []), r]);
  }
  return Promise.all([...byId.values()].map((g) => describe(client, g)));
}

/** findImage resolves a reference or image id to an image, or undefined when absent. */
export async function findImage(
  client: ContainerdClient,
  ref: string,
): Promise<ContainerdImage | undefined> {
  const name = checkedRef(ref);
  const all = await records(client);
  const hit = name.startsWith('sha256:')
    ? all.find((r) => r.labels[imageLabel.id] === name)
    : all.find((r) => r.name === name);
  if (!hit) return undefined;
  const id = hit.labels[imageLabel.id];
  return describe(
    client,
    all.filter((r) => r.labels[imageLabel.id] === id),
  );
}

/** LayerBlob is one layer's bytes with the media type its manifest gives it. */
export interface LayerBlob {
  data: Buffer;
  mediaType: string;
}

function layerMediaType(data: Buffer): string {
  return data[0] === 0x1f && data[1] === 0x8b ? mediaType.ociLayerGzip : mediaType.ociLayer;
}

/**
 * storeImage writes an image's blobs into the content store, unpacks its layers into
 * overlayfs and points each name at its manifest, all under one lease so a failure leaves
 * nothing the collector keeps. Without a manifest one is written (OCI) from the parts.
 */
export async function storeImage(
  client: ContainerdClient,
  names: string[],
  configData: Buffer,
  layers: LayerBlob[],
  manifest?: { data: Buffer; mediaType: string },
): Promise<string> {
  let config: ImageConfig;
  try {
    config = JSON.parse(configData.toString('utf8')) as ImageConfig;
  } catch {
    throw new SkiffError('Invalid', 'the image config is not JSON');
  }
  const diffIds = config.rootfs?.diff_ids ?? [];
  return withLease(
    client,
    async (lease) => {
      const layerDescriptors: Descriptor[] = [];
      for (const [i, layer] of layers.entries()) {
        const digest = await writeBlob(client, lease, layer.data, {
          [gcLabel.uncompressed]: diffIds[i] ?? '',
        });
        layerDescriptors.push({ mediaType: layer.mediaType, digest, size: layer.data.length });
      }
      const chain = await unpackLayers(client, lease, layerDescriptors, diffIds);
      const top = chain[chain.length - 1];
      const id = await writeBlob(client, lease, configData, top ? { [gcLabel.snapshot]: top } : {});
      const manifestData =
        manifest?.data ??
        Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: mediaType.ociManifest,
            config: { mediaType: mediaType.ociConfig, digest: id, size: configData.length },
            layers: layerDescriptors,
          }),
        );
      const manifestLabels: Record<string, string> = { [gcLabel.config]: id };
      for (const [i, l] of layerDescriptors.entries()) manifestLabels[gcLabel.layer(i)] = l.digest;
      const manifestDigest = await writeBlob(client, lease, manifestData, manifestLabels);
      const size = configData.length + layers.reduce((s, l) => s + l.data.length, 0);
      const target = {
        mediaType: manifest?.mediaType ?? mediaType.ociManifest,
        digest: manifestDigest,
        size: manifestData.length,
      };
      const labels = { [imageLabel.id]: id, [imageLabel.size]: String(size) };
      for (const name of names.length ? names : [id]) {
        const image = { name, labels, target };
        try {
          await client.call('images', 'Create', { image });
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
          await client.call('images', 'Update', {
            image,
            updateMask: {
              paths: ['target', `labels.${imageLabel.id}`, `labels.${imageLabel.size}`],
            },
          });
        }
      }
      return id;
      // An import that failed half-way leaves nothing once it has answered.
    },
    true,
  );
}

/**
 * importArchive loads an image tarball (docker save or OCI layout) into the content store and
 * the snapshotter; a file that is not an image archive is Invalid and changes nothing.
 */
export async function importArchive(client: ContainerdClient, path: string): Promise<string[]> {
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
    await storeImage(
      client,
      names,
      blob(image.config),
      image.layers.map((l) => ({ data: blob(l), mediaType: layerMediaType(blob(l)) })),
    );
    imported.push(...names);
  }
  return imported;
}

function toMessage(image: ContainerdImage): ImageMessage {
  const user = image.config.config?.User ?? '';
  const first = user.split(':')[0] ?? '';
  return {
    id: image.id,
    repoTags: image.names,
    repoDigests: image.repoDigests,
    size: String(image.size),
    ...(/^\d+$/.test(first) ? { uid: { value: first } } : { username: first }),
    spec: { image: image.id },
  };
}

/** listImages answers ListImages; a filter narrows the list to one image. */
export async function listImages(
  client: ContainerdClient,
  req: RpcRequestReceived<'ListImages'>,
): Promise<RpcResponse<'ListImages'>> {
  const want = req.filter?.image?.image;
  if (want) {
    const image = await findImage(client, want);
    return { images: image ? [toMessage(image)] : [] };
  }
  return { images: (await listContainerdImages(client)).map(toMessage) };
}

/** imageStatus answers ImageStatus: an absent image is an empty answer, not an error. */
export async function imageStatus(
  client: ContainerdClient,
  req: RpcRequestReceived<'ImageStatus'>,
): Promise<RpcResponse<'ImageStatus'>> {
  const image = await findImage(client, checkedRef(req.image?.image));
  if (!image) return {};
  return req.verbose
    ? { image: toMessage(image), info: { info: JSON.stringify({ config: image.config }) } }
    : { image: toMessage(image) };
}

/** removeImage answers RemoveImage: every name of the image goes; an absent one is no error. */
export async function removeImage(
  client: ContainerdClient,
  req: RpcRequestReceived<'RemoveImage'>,
): Promise<RpcResponse<'RemoveImage'>> {
  const image = await findImage(client, checkedRef(req.image?.image));
  if (!image) return {};
  const all = await records(client);
  const mine = all.filter((r) => r.labels[imageLabel.id] === image.id);
  for (const [i, r] of mine.entries()) {
    try {
      // The last deletion waits for the collector, so the snapshots are gone when we answer.
      await client.call('images', 'Delete', { name: r.name, sync: i === mine.length - 1 });
    } catch (err) {
      if (!isNotFound(err)) throw containerdError(err, `cannot remove image ${r.name}`);
    }
  }
  return {};
}

export { mediaType as imageMediaType };
