/** ImageRef is an image reference split into its parts, with Docker's defaults filled in. */
export interface ImageRef {
  /** domain is the registry host (`docker.io` when the reference names none). */
  domain: string;
  /** path is the repository path (`library/nginx` for `nginx`). */
  path: string;
  /** tag is the tag (`latest` when neither tag nor digest is given), or '' with a digest. */
  tag: string;
  /** digest is `sha256:...` when the reference pins one. */
  digest: string;
}

const pathPart = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;
const digestPattern = /^sha256:[a-f0-9]{64}$/;

/** parseImageRef splits a reference the way Docker does, or returns an error message. */
export function parseImageRef(ref: string): ImageRef | { error: string } {
  if (!ref) return { error: 'image reference is empty' };
  let rest = ref;
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestPattern.test(digest)) return { error: `invalid digest in ${JSON.stringify(ref)}` };
  }
  let tag = '';
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagPattern.test(tag)) return { error: `invalid tag in ${JSON.stringify(ref)}` };
  }
  const parts = rest.split('/');
  let domain = 'docker.io';
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    domain = first;
    parts.shift();
  }
  if (parts.length === 0 || parts.some((p) => !pathPart.test(p))) {
    return { error: `invalid repository name in ${JSON.stringify(ref)}` };
  }
  if (domain === 'docker.io' && parts.length === 1) parts.unshift('library');
  if (!tag && !digest) tag = 'latest';
  return { domain, path: parts.join('/'), tag, digest };
}

/** formatImageRef writes the fully qualified form (`docker.io/library/nginx:1.7.9`). */
export function formatImageRef(ref: ImageRef): string {
  return `${ref.domain}/${ref.path}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** familiarImageRef writes the short form Docker shows (`nginx:1.7.9`). */
export function familiarImageRef(ref: ImageRef): string {
  let name = ref.path;
  if (ref.domain === 'docker.io') {
    if (name.startsWith('library/')) name = name.slice('library/'.length);
  } else {
    name = `${ref.domain}/${name}`;
  }
  return `${name}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** normalizeImageRef returns the fully qualified form of a reference, or throws on a bad one. */
export function normalizeImageRef(ref: string): string {
  const parsed = parseImageRef(ref);
  if ('error' in parsed) throw new Error(parsed.error);
  return formatImageRef(parsed);
}
