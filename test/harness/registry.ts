import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { archiveImages, readArchive } from '../../sdk/runtime/image-archive.ts';
import { sha256Digest } from '../../sdk/runtime/image-layout.ts';
import { normalizeImageRef, parseImageRef } from '../../sdk/runtime/image-ref.ts';
import { type Daemon, startDaemon } from './daemon.ts';

/** Registry is a private Docker registry (distribution) on 127.0.0.1. */
export interface Registry {
  /** address is `127.0.0.1:<port>`, the prefix of references pushed to it. */
  readonly address: string;
  readonly daemon: Daemon;
  stop(): Promise<void>;
}

const registryPath = '/usr/bin/docker-registry';

/** freePort asks the kernel for a loopback port nobody listens on. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** RegistryOptions place a registry somewhere other than the host's loopback. */
export interface RegistryOptions {
  /**
   * netns runs the registry inside this network namespace (on its 127.0.0.1:5000), for nodes
   * that live there. Nothing can push to it from outside: fill `storage` first with a
   * registry on the host, stop that, then serve the same storage here.
   */
  netns?: string;
  /** storage is the directory holding the images; by default one inside the daemon's dir. */
  storage?: string;
}

const inNetns = (netns: string) => [`--net=/run/netns/${netns}`];

/**
 * startRegistry starts Debian's docker-registry with file system storage in a temp dir (or
 * the given storage), on a free loopback port of the host or inside a network namespace.
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  if (!existsSync(registryPath)) {
    throw new Error(
      `docker-registry is missing (${registryPath}): install the Debian package docker-registry`,
    );
  }
  const { netns } = options;
  // A fresh network namespace has every port free.
  const port = netns ? 5000 : await freePort();
  const address = `127.0.0.1:${port}`;
  const daemon = await startDaemon({
    name: 'registry',
    command: netns ? 'nsenter' : registryPath,
    args: (dir) => {
      const config = join(dir, 'config.yml');
      writeFileSync(
        config,
        [
          'version: 0.1',
          'log:',
          '  level: warn',
          'storage:',
          '  filesystem:',
          `    rootdirectory: ${options.storage ?? join(dir, 'data')}`,
          '  delete:',
          '    enabled: true',
          'http:',
          `  addr: ${address}`,
          '',
        ].join('\n'),
      );
      return netns ? [...inNetns(netns), registryPath, 'serve', config] : ['serve', config];
    },
    ready: async () =>
      netns
        ? await new Promise<boolean>((done) =>
            execFile(
              'nsenter',
              [
                ...inNetns(netns),
                'busybox',
                'wget',
                '-q',
                '-O',
                '/dev/null',
                `http://${address}/v2/`,
              ],
              (err) => done(!err),
            ),
          )
        : (await fetch(`http://${address}/v2/`)).status === 200,
    readyTimeoutMs: 30_000,
  });
  return { address, daemon, stop: () => daemon.stop() };
}

/** dockerMediaType holds the Docker image manifest v2 schema 2 media types the push uses. */
const dockerMediaType = {
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
  layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

function sameRef(a: string, b: string): boolean {
  try {
    return normalizeImageRef(a) === normalizeImageRef(b);
  } catch {
    return false;
  }
}

async function uploadBlob(base: string, repo: string, data: Buffer): Promise<string> {
  const digest = sha256Digest(data);
  if ((await fetch(`${base}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' })).status === 200) {
    return digest;
  }
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  const location = start.headers.get('location');
  if (start.status !== 202 || !location) {
    throw new Error(`registry refused an upload to ${repo}: ${start.status} ${await start.text()}`);
  }
  const url = new URL(location, base);
  url.searchParams.set('digest', digest);
  const put = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: data,
  });
  if (put.status !== 201)
    throw new Error(`blob upload ${digest}: ${put.status} ${await put.text()}`);
  return digest;
}

/**
 * pushImage pushes one image of a tarball to a registry as `host:port/name:tag` with the
 * registry HTTP API v2 (blob uploads, then the manifest), no Docker involved. `from` picks the
 * image by a name the archive gives it; the first image otherwise. Returns the manifest digest.
 */
export async function pushImage(tarPath: string, target: string, from?: string): Promise<string> {
  const ref = parseImageRef(target);
  if ('error' in ref) throw new Error(ref.error);
  const files = await readArchive(tarPath);
  const images = archiveImages(files);
  const image = from ? images.find((i) => i.names.some((n) => sameRef(n, from))) : images[0];
  if (!image) throw new Error(`${tarPath} has no image ${from ?? ''}`);
  const base = `http://${ref.domain}`;
  const config = files.get(image.config);
  if (!config) throw new Error(`${tarPath}: missing ${image.config}`);
  const layers = [];
  for (const path of image.layers) {
    const raw = files.get(path);
    if (!raw) throw new Error(`${tarPath}: missing ${path}`);
    // docker-save archives may hold plain tars; the registry wants what the manifest says.
    const gz = raw[0] === 0x1f && raw[1] === 0x8b ? raw : gzipSync(raw);
    layers.push({
      mediaType: dockerMediaType.layer,
      size: gz.length,
      digest: await uploadBlob(base, ref.path, gz),
    });
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: dockerMediaType.manifest,
      config: {
        mediaType: dockerMediaType.config,
        size: config.length,
        digest: await uploadBlob(base, ref.path, config),
      },
      layers,
    }),
  );
  const put = await fetch(`${base}/v2/${ref.path}/manifests/${ref.tag || ref.digest}`, {
    method: 'PUT',
    headers: { 'content-type': dockerMediaType.manifest },
    body: manifest,
  });
  if (put.status !== 201)
    throw new Error(`manifest push ${target}: ${put.status} ${await put.text()}`);
  return sha256Digest(manifest);
}
