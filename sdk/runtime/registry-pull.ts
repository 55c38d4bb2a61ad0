import { SkiffError } from '../errors.ts';
import { sha256Digest } from './image-layout.ts';
import { type ImageRef, parseImageRef } from './image-ref.ts';

/** RegistryAuth is what a PullImage request may carry to log in to the registry. */
export interface RegistryAuth {
  username?: string;
  password?: string;
}

/** registryMediaType holds the manifest media types a pull asks for and understands. */
export const registryMediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

const manifestAccept = Object.values(registryMediaType).join(', ');

// Registries on loopback are test registries served over plain HTTP; others speak HTTPS.
function baseUrl(domain: string): string {
  const host = domain === 'docker.io' ? 'registry-1.docker.io' : domain;
  const plain = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);
  return `${plain ? 'http' : 'https'}://${host}`;
}

class RegistrySession {
  #token: string | undefined;
  constructor(
    readonly base: string,
    readonly auth: RegistryAuth,
  ) {}

  async get(path: string, accept?: string): Promise<Response> {
    const headers: Record<string, string> = accept ? { accept } : {};
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    let res = await fetch(`${this.base}${path}`, { headers });
    const challenge = res.headers.get('www-authenticate');
    if (res.status === 401 && challenge && !this.#token) {
      this.#token = await this.#login(challenge);
      headers.authorization = `Bearer ${this.#token}`;
      res = await fetch(`${this.base}${path}`, { headers });
    }
    return res;
  }

  // A Bearer challenge names the token server; Basic credentials, when given, go along.
  async #login(challenge: string): Promise<string> {
    const params = Object.fromEntries(
      [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (!params.realm) throw new SkiffError('Unauthorized', `registry wants ${challenge}`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    if (params.scope) url.searchParams.set('scope', params.scope);
    const headers: Record<string, string> = {};
    if (this.auth.username) {
      const basic = Buffer.from(`${this.auth.username}:${this.auth.password ?? ''}`);
      headers.authorization = `Basic ${basic.toString('base64')}`;
    }
    const res = await fetch(url, { headers });
    if (!res.ok) throw new SkiffError('Unauthorized', `registry login failed: ${res.status}`);
    const body = (await res.json()) as { token?: string; access_token?: string };
    return body.token ?? body.access_token ?? '';
  }
}

async function bytes(res: Response, what: string): Promise<Buffer> {
  if (res.status === 404) throw new SkiffError('NotFound', `${what} not found in the registry`);
  if (res.status === 401 || res.status === 403) {
    throw new SkiffError('Unauthorized', `the registry refuses ${what}: ${res.status}`);
  }
  if (!res.ok)
    throw new SkiffError('ServiceUnavailable', `${what}: registry answered ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

interface ManifestBody {
  manifests?: {
    digest: string;
    mediaType?: string;
    platform?: { os?: string; architecture?: string };
  }[];
  config?: { digest: string };
  layers?: { digest: string; mediaType: string }[];
}

/** FetchedImage is an image as a registry serves it, every blob checked against its digest. */
export interface FetchedImage {
  /** manifest is the linux/amd64 image manifest (picked from an index when there is one). */
  manifest: { data: Buffer; mediaType: string; digest: string };
  config: Buffer;
  layers: { data: Buffer; mediaType: string }[];
}

/**
 * RegistryMirrors maps a registry domain (`docker.io`, `quay.io`, `127.0.0.1:5000`) to mirror
 * endpoints (`http://127.0.0.1:5000`), tried in order before the registry itself, as
 * containerd's hosts.toml and k3s' registries.yaml do.
 */
export type RegistryMirrors = Readonly<Record<string, readonly string[]>>;

/** FetchOptions are how a pull reaches registries. */
export interface FetchOptions {
  mirrors?: RegistryMirrors;
}

/**
 * parseRegistryMirrors reads mirrors written `domain=url[|url...]`, entries separated by
 * commas (the form of a runtime's `registryMirrors` option and of `--registry-mirror`).
 * It returns an error string for a malformed entry.
 */
export function parseRegistryMirrors(
  text: string,
): { mirrors: RegistryMirrors } | { error: string } {
  const out: Record<string, string[]> = {};
  for (const entry of text.split(',').map((e) => e.trim())) {
    if (!entry) continue;
    const eq = entry.indexOf('=');
    const domain = entry.slice(0, eq).trim();
    const urls = entry
      .slice(eq + 1)
      .split('|')
      .map((u) => u.trim().replace(/\/+$/, ''));
    if (eq <= 0 || urls.some((u) => !/^https?:\/\/[^/\s]+$/.test(u))) {
      return {
        error: `registry mirror ${JSON.stringify(entry)} is not domain=http(s)://host[:port]`,
      };
    }
    out[domain] = [...(out[domain] ?? []), ...urls];
  }
  return { mirrors: out };
}

/**
 * fetchImage downloads an image from its registry over the distribution HTTP API (anonymous
 * or with a token login), choosing linux/amd64 from an index and checking every blob's
 * digest. Mirrors of the image's registry are tried first, in order; the registry itself
 * last. `name` must be a fully qualified reference; an absent image is NotFound, a
 * registry that cannot be reached is ServiceUnavailable (the registry's own answer wins
 * when every mirror failed too).
 */
export async function fetchImage(
  name: string,
  auth: RegistryAuth = {},
  options: FetchOptions = {},
): Promise<FetchedImage> {
  const ref = parseImageRef(name);
  if ('error' in ref || name.startsWith('sha256:')) {
    throw new SkiffError('Invalid', `cannot pull ${name}: not a registry reference`);
  }
  for (const mirror of options.mirrors?.[ref.domain] ?? []) {
    try {
      return await fetchFrom(mirror, ref, name, auth);
    } catch (err) {
      if (!(err instanceof SkiffError)) throw err;
      // The next mirror, or the registry itself, may have it.
    }
  }
  return fetchFrom(baseUrl(ref.domain), ref, name, auth);
}

async function fetchFrom(
  base: string,
  ref: ImageRef,
  name: string,
  auth: RegistryAuth,
): Promise<FetchedImage> {
  const session = new RegistrySession(base, auth);
  const repo = `/v2/${ref.path}`;
  let res: Response;
  try {
    res = await session.get(`${repo}/manifests/${ref.digest || ref.tag}`, manifestAccept);
  } catch (err) {
    if (err instanceof SkiffError) throw err;
    throw new SkiffError(
      'ServiceUnavailable',
      `cannot reach the registry of ${name}: ${String(err)}`,
    );
  }
  let data = await bytes(res, name);
  let type = res.headers.get('content-type') ?? '';
  let body = JSON.parse(data.toString('utf8')) as ManifestBody;
  if (body.manifests) {
    const pick = body.manifests.find(
      (m) =>
        (m.platform?.os ?? 'linux') === 'linux' &&
        (m.platform?.architecture ?? 'amd64') === 'amd64',
    );
    if (!pick) throw new SkiffError('NotFound', `${name} has no linux/amd64 image`);
    res = await session.get(`${repo}/manifests/${pick.digest}`, manifestAccept);
    data = await bytes(res, `${name} (${pick.digest})`);
    type = pick.mediaType ?? res.headers.get('content-type') ?? '';
    body = JSON.parse(data.toString('utf8')) as ManifestBody;
  }
  if (!body.config) throw new SkiffError('Invalid', `${name}: the manifest names no config`);
  const blob = async (digest: string) => {
    const b = await bytes(
      await session.get(`${repo}/blobs/${digest}`),
      `blob ${digest} of ${name}`,
    );
    if (sha256Digest(b) !== digest)
      throw new SkiffError('Invalid', `blob ${digest} of ${name} is corrupt`);
    return b;
  };
  const config = await blob(body.config.digest);
  const layers = [];
  for (const l of body.layers ?? [])
    layers.push({ data: await blob(l.digest), mediaType: l.mediaType });
  return {
    manifest: {
      data,
      mediaType: type.split(';')[0] || registryMediaType.ociManifest,
      digest: sha256Digest(data),
    },
    config,
    layers,
  };
}
