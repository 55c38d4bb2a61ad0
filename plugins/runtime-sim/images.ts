import { createHash } from 'node:crypto';

/** SimImage is an image the sim runtime has recorded as pulled: a name and an id, no content. */
export interface SimImage {
  readonly name: string;
  readonly id: string;
}

/**
 * normalizeImage gives a reference its full form (`busybox` → `docker.io/library/busybox:latest`),
 * so the same image named two ways is recorded once.
 */
export function normalizeImage(ref: string): string {
  if (ref.startsWith('sha256:')) return ref;
  const slash = ref.indexOf('/');
  const first = slash === -1 ? '' : ref.slice(0, slash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  let name = hasRegistry ? ref : `docker.io/${slash === -1 ? `library/${ref}` : ref}`;
  const lastPart = name.slice(name.lastIndexOf('/') + 1);
  if (!lastPart.includes(':') && !lastPart.includes('@')) name = `${name}:latest`;
  return name;
}

/** imageId is the stable made-up id of an image: the sha256 of its full name. */
export function imageId(name: string): string {
  return `sha256:${createHash('sha256').update(name).digest('hex')}`;
}
