import { createHash, randomBytes } from 'node:crypto';
import { type ContainerdClient, isAlreadyExists, isNotFound } from './client.ts';

/** snapshotter is the containerd snapshotter the adapter unpacks images into. */
export const snapshotter = 'overlayfs';

/** Descriptor is containerd's pointer at a blob (media type, digest, size). */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** Mount is one mount of a snapshot as containerd describes it. */
export interface Mount {
  type: string;
  source: string;
  target?: string;
  options: string[];
}

/** gcLabel names containerd's garbage-collection reference labels. */
export const gcLabel = {
  config: 'containerd.io/gc.ref.content.config',
  layer: (i: number) => `containerd.io/gc.ref.content.l.${i}`,
  snapshot: `containerd.io/gc.ref.snapshot.${snapshotter}`,
  uncompressed: 'containerd.io/uncompressed',
} as const;

/** sha256 is the OCI digest of bytes. */
export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** chainIds computes the snapshot names of a layer stack from its diff ids (OCI chain ids). */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const id of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? id : sha256(`${prev} ${id}`));
  }
  return out;
}

/** uniqueKey makes a key for a temporary object (an ingest, an extraction snapshot). */
export function uniqueKey(prefix: string): string {
  return `${prefix}-${Date.now()}-${randomBytes(4).toString('hex')}`;
}

/**
 * withLease runs fn under a fresh lease and deletes the lease after, whatever happens. With
 * sync the deletion waits for the garbage collection it allows (what only the lease held is
 * gone on return); without, the collector runs later.
 */
export async function withLease<T>(
  client: ContainerdClient,
  fn: (lease: string) => Promise<T>,
  sync = false,
): Promise<T> {
  const id = uniqueKey('skiff');
  await client.call('leases', 'Create', {
    id,
    labels: { 'containerd.io/gc.expire': new Date(Date.now() + 3_600_000).toISOString() },
  });
  try {
    return await fn(id);
  } finally {
    await client.call('leases', 'Delete', { id, sync }).catch(() => {});
  }
}

/** contentInfo returns a blob's labels, or undefined when the store lacks it. */
export async function contentInfo(
  client: ContainerdClient,
  digest: string,
): Promise<{ labels: Record<string, string> } | undefined> {
  try {
    const r = await client.call<{ info: { labels: Record<string, string> } }>('content', 'Info', {
      digest,
    });
    return r.info;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

const chunk = 1024 * 1024;

/**
 * writeBlob puts bytes into the content store under a lease, with labels (garbage-collection
 * references). A blob already there only gets the labels added.
 */
export async function writeBlob(
  client: ContainerdClient,
  lease: string,
  data: Buffer,
  labels: Record<string, string> = {},
): Promise<string> {
  const digest = sha256(data);
  const present = await contentInfo(client, digest);
  if (present) {
    await addLabels(client, digest, labels);
    return digest;
  }
  const ref = uniqueKey('skiff-ingest');
  const stream = client.duplex('content', 'Write', lease);
  const responses: unknown[] = [];
  let waiting: ((v: unknown) => void) | undefined;
  let failed: unknown;
  const ended = new Promise<void>((resolve) => {
    stream.on('data', (m) => {
      responses.push(m);
      waiting?.(m);
    });
    stream.on('error', (err) => {
      failed = err;
      waiting?.(undefined);
      resolve();
    });
    stream.on('end', () => resolve());
  });
  const next = async (): Promise<unknown> => {
    if (responses.length) return responses.shift();
    if (failed) throw failed;
    await new Promise((r) => {
      waiting = r;
    });
    waiting = undefined;
    if (failed) throw failed;
    return responses.shift();
  };
  try {
    for (let offset = 0; offset < data.length || offset === 0; offset += chunk) {
      stream.write({
        action: 'WRITE',
        ref,
        total: data.length,
        expected: digest,
        offset,
        data: data.subarray(offset, offset + chunk),
      });
      await next();
      if (data.length === 0) break;
    }
    // A commit at offset 0 would truncate what was written: it names the end instead.
    stream.write({
      action: 'COMMIT',
      ref,
      total: data.length,
      expected: digest,
      offset: data.length,
      labels,
    });
    await next();
  } catch (err) {
    if (!isAlreadyExists(err)) {
      await client.call('content', 'Abort', { ref }).catch(() => {});
      throw err;
    }
    await addLabels(client, digest, labels);
  } finally {
    stream.end();
    await ended;
  }
  return digest;
}

/** addLabels sets labels on a blob, keeping the others. */
export async function addLabels(
  client: ContainerdClient,
  digest: string,
  labels: Record<string, string>,
): Promise<void> {
  const paths = Object.keys(labels).map((k) => `labels.${k}`);
  if (paths.length === 0) return;
  await client.call('content', 'Update', { info: { digest, labels }, updateMask: { paths } });
}

/** readBlob reads a whole blob from the content store. */
export async function readBlob(client: ContainerdClient, digest: string): Promise<Buffer> {
  const parts = await client.collect<{ data: Buffer }>('content', 'Read', { digest });
  return Buffer.concat(parts.map((p) => p.data));
}

/** snapshotExists tells whether the snapshotter has a snapshot under key. */
export async function snapshotExists(client: ContainerdClient, key: string): Promise<boolean> {
  try {
    await client.call('snapshots', 'Stat', { snapshotter, key });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/**
 * unpackLayers applies the layers onto overlayfs snapshots named by chain id, skipping the
 * ones already there, and checks each applied tar against the config's diff id.
 */
export async function unpackLayers(
  client: ContainerdClient,
  lease: string,
  layers: Descriptor[],
  diffIds: string[],
): Promise<string[]> {
  if (layers.length !== diffIds.length) {
    throw new Error(`the image has ${layers.length} layers but ${diffIds.length} diff ids`);
  }
  const chain = chainIds(diffIds);
  for (const [i, layer] of layers.entries()) {
    const name = chain[i] as string;
    if (await snapshotExists(client, name)) continue;
    const key = uniqueKey(`extract-${name}`);
    const parent = i === 0 ? '' : (chain[i - 1] as string);
    const { mounts } = await client.call<{ mounts: Mount[] }>(
      'snapshots',
      'Prepare',
      { snapshotter, key, parent },
      { lease },
    );
    try {
      const { applied } = await client.call<{ applied: Descriptor }>(
        'diff',
        'Apply',
        { diff: layer, mounts },
        { lease },
      );
      if (applied.digest !== diffIds[i]) {
        throw new Error(`layer ${layer.digest} unpacks to ${applied.digest}, not ${diffIds[i]}`);
      }
      await client.call('snapshots', 'Commit', { snapshotter, name, key }, { lease });
    } catch (err) {
      await client.call('snapshots', 'Remove', { snapshotter, key }).catch(() => {});
      if (isAlreadyExists(err)) continue;
      throw err;
    }
  }
  return chain;
}
