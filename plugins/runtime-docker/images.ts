import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { SkiffError } from '../../sdk/errors.ts';
import { pauseImage } from '../../sdk/runtime/base-images.ts';
import { checkImageArchive, dockerArchive } from '../../sdk/runtime/image-archive.ts';
import { buildImageArchive } from '../../sdk/runtime/image-layout.ts';
import { familiarImageRef, formatImageRef, parseImageRef } from '../../sdk/runtime/image-ref.ts';
import type { RpcRequestReceived, RpcResponse } from '../../sdk/runtime/rpcs.ts';
import { type DockerContext, dockerMessage, nowNanos, statusCode } from './labels.ts';

type ImageMessage = NonNullable<RpcResponse<'ImageStatus'>['image']>;

/** checkedRef parses an image reference from a request, or fails with Invalid. */
export function checkedRef(ref: string | undefined): string {
  if (!ref) throw new SkiffError('Invalid', 'image reference is empty');
  // An image id stands for itself.
  if (/^sha256:[a-f0-9]{64}$/.test(ref)) return ref;
  const parsed = parseImageRef(ref);
  if ('error' in parsed) throw new SkiffError('Invalid', parsed.error);
  return formatImageRef(parsed);
}

// Docker keeps short names for Docker Hub images (`nginx:1.7.9`); the CRI world reports the
// fully qualified form, so tags are translated both ways.
/** dockerName is the name Docker keeps for an image reference (short for Docker Hub images). */
export function dockerName(ref: string): string {
  if (ref.startsWith('sha256:')) return ref;
  const parsed = parseImageRef(ref);
  return 'error' in parsed ? ref : familiarImageRef(parsed);
}

function fullNames(tags: string[] | undefined): string[] {
  return (tags ?? [])
    .filter((t) => t !== '<none>:<none>' && t !== '<none>@<none>')
    .map((t) => {
      const parsed = parseImageRef(t);
      return 'error' in parsed ? t : formatImageRef(parsed);
    });
}

function toImage(info: {
  Id: string;
  RepoTags?: string[];
  RepoDigests?: string[];
  Size: number;
  Config?: { User?: string };
}): ImageMessage {
  const user = info.Config?.User ?? '';
  const uid = /^\d+$/.test(user.split(':')[0] ?? '') ? user.split(':')[0] : undefined;
  return {
    id: info.Id,
    repoTags: fullNames(info.RepoTags),
    repoDigests: fullNames(info.RepoDigests),
    size: String(info.Size),
    ...(uid !== undefined ? { uid: { value: uid } } : { username: user.split(':')[0] ?? '' }),
    spec: { image: info.Id },
  };
}

/** inspectImage returns Docker's view of an image, or undefined when it is absent. */
export async function inspectImage(
  ctx: DockerContext,
  ref: string,
): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await ctx.docker.getImage(dockerName(ref)).inspect();
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

/** loadArchive feeds an image tarball to `docker load` and returns the names it loaded. */
export async function loadArchive(ctx: DockerContext, archive: string | Buffer): Promise<string[]> {
  const input = typeof archive === 'string' ? createReadStream(archive) : Readable.from([archive]);
  const stream = await ctx.docker.loadImage(input, { quiet: true });
  const path = typeof archive === 'string' ? archive : 'the archive';
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
  const names: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const msg = JSON.parse(line) as { stream?: string; error?: string };
    if (msg.error) throw new SkiffError('Invalid', `cannot import ${path}: ${msg.error}`);
    const m = /Loaded image(?: ID)?: (\S+)/.exec(msg.stream ?? '');
    if (m?.[1]) names.push(fullNames([m[1]])[0] ?? m[1]);
  }
  return names;
}

/**
 * importArchive checks an image tarball, gives an OCI-only layout the manifest.json that
 * `docker load` needs, and loads it; a file that is not an image archive is Invalid and
 * changes nothing.
 */
export async function importArchive(ctx: DockerContext, path: string): Promise<string[]> {
  let files: Awaited<ReturnType<typeof checkImageArchive>>['files'];
  try {
    files = (await checkImageArchive(path)).files;
  } catch (err) {
    throw new SkiffError('Invalid', err instanceof Error ? err.message : String(err));
  }
  return loadArchive(ctx, (await dockerArchive(files)) ?? path);
}

/** ensurePauseImage builds and loads the sandbox image when Docker does not have it. */
export async function ensurePauseImage(ctx: DockerContext): Promise<void> {
  if (await inspectImage(ctx, ctx.options.pauseImage)) return;
  const archive = await buildImageArchive([pauseImage(ctx.options.pauseImage)]);
  await loadArchive(ctx, archive.path);
}

/** listImages answers ListImages. */
export async function listImages(
  ctx: DockerContext,
  req: RpcRequestReceived<'ListImages'>,
): Promise<RpcResponse<'ListImages'>> {
  const want = req.filter?.image?.image;
  const images = await ctx.docker.listImages({ all: false });
  let out = images.map((i) => toImage({ ...i, Size: i.Size }));
  if (want) {
    const id = (await inspectImage(ctx, checkedRef(want)))?.Id;
    out = out.filter((i) => i.id === id);
  }
  return { images: out };
}

/** imageStatus answers ImageStatus: an absent image is an empty answer, not an error. */
export async function imageStatus(
  ctx: DockerContext,
  req: RpcRequestReceived<'ImageStatus'>,
): Promise<RpcResponse<'ImageStatus'>> {
  const ref = checkedRef(req.image?.image);
  const info = await inspectImage(ctx, ref);
  if (!info) return {};
  const image = toImage(info);
  return req.verbose
    ? { image, info: { info: JSON.stringify({ config: info.Config, created: info.Created }) } }
    : { image };
}

/** pullImage answers PullImage through Docker's pull (registries on 127.0.0.1 are plain http). */
export async function pullImage(
  ctx: DockerContext,
  req: RpcRequestReceived<'PullImage'>,
): Promise<RpcResponse<'PullImage'>> {
  const ref = checkedRef(req.image?.image);
  const auth = req.auth;
  const authconfig =
    auth && (auth.username || auth.identityToken || auth.auth)
      ? {
          username: auth.username,
          password: auth.password,
          serveraddress: auth.serverAddress,
          ...(auth.identityToken ? { identitytoken: auth.identityToken } : {}),
          ...(auth.auth ? { auth: auth.auth } : {}),
        }
      : undefined;
  try {
    const stream = await ctx.docker.pull(ref, authconfig ? { authconfig } : {});
    await new Promise<void>((resolve, reject) =>
      ctx.docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => {
        const failed = err ?? out.find((o) => o.error);
        if (failed) reject(new Error(failed instanceof Error ? failed.message : failed.error));
        else resolve();
      }),
    );
  } catch (err) {
    const message = dockerMessage(err);
    if (statusCode(err) === 404 || /not found|unknown/i.test(message)) {
      throw new SkiffError('NotFound', `cannot pull ${ref}: ${message}`);
    }
    throw new SkiffError('ServiceUnavailable', `cannot pull ${ref}: ${message}`);
  }
  const info = await inspectImage(ctx, ref);
  if (!info) throw new SkiffError('NotFound', `pulled ${ref} but Docker does not list it`);
  return { imageRef: info.Id };
}

/** removeImage answers RemoveImage: removing an absent image succeeds. */
export async function removeImage(
  ctx: DockerContext,
  req: RpcRequestReceived<'RemoveImage'>,
): Promise<RpcResponse<'RemoveImage'>> {
  const ref = checkedRef(req.image?.image);
  const info = await inspectImage(ctx, ref);
  if (!info) return {};
  // Removing by id drops every tag, as the CRI asks; a tag alone only loses itself.
  const target = ref.startsWith('sha256:') ? info.Id : dockerName(ref);
  try {
    await ctx.docker.getImage(target).remove({ force: ref.startsWith('sha256:') });
  } catch (err) {
    if (statusCode(err) === 404) return {};
    if (statusCode(err) === 409) throw new SkiffError('FailedPrecondition', dockerMessage(err));
    throw err;
  }
  return {};
}

/** imageFsInfo answers ImageFsInfo from Docker's root directory and image sizes. */
export async function imageFsInfo(ctx: DockerContext): Promise<RpcResponse<'ImageFsInfo'>> {
  const [info, images] = await Promise.all([ctx.docker.info(), ctx.docker.listImages()]);
  const used = images.reduce((sum, i) => sum + (i.Size ?? 0), 0);
  const usage = {
    timestamp: nowNanos(),
    fsId: { mountpoint: `${info.DockerRootDir}/${info.Driver}` },
    usedBytes: { value: String(used) },
    inodesUsed: { value: '0' },
  };
  return { imageFilesystems: [usage], containerFilesystems: [usage] };
}
