import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import { SkiffError } from '../errors.ts';

/** ClientConnection is what a client needs to reach an API server: its URL and credentials. */
export interface ClientConnection {
  /** server is the base URL (`https://127.0.0.1:6443`). */
  readonly server: string;
  /** token is the bearer token sent with every request, when the user has one. */
  readonly token?: string;
  /** ca is the PEM bundle that signs the server's certificate. */
  readonly ca?: string;
  /** cert and key are a client certificate pair, when the user authenticates with one. */
  readonly cert?: string;
  readonly key?: string;
  /** insecureSkipTlsVerify turns off server certificate checks (never for production). */
  readonly insecureSkipTlsVerify?: boolean;
}

type Named<T> = { name?: string } & Record<string, T | undefined>;

function pick<T>(items: unknown, name: string, field: string, path: string): T {
  const list = Array.isArray(items) ? (items as Named<T>[]) : [];
  const found = list.find((i) => i.name === name)?.[field];
  if (found === undefined)
    throw new SkiffError('BadRequest', `kubeconfig ${path}: no ${field} named "${name}"`);
  return found;
}

function material(
  entry: Record<string, unknown>,
  dataField: string,
  fileField: string,
  base: string,
): string | undefined {
  const data = entry[dataField];
  if (typeof data === 'string') return Buffer.from(data, 'base64').toString('utf8');
  const file = entry[fileField];
  if (typeof file === 'string')
    return readFileSync(isAbsolute(file) ? file : join(base, file), 'utf8');
  return undefined;
}

/**
 * parseKubeconfig reads a kubeconfig's text and returns the connection of its current context
 * (or of `context` when given). Relative file references resolve from `path`'s folder.
 */
export function parseKubeconfig(text: string, path: string, context?: string): ClientConnection {
  let doc: Record<string, unknown>;
  try {
    doc = (parse(text) ?? {}) as Record<string, unknown>;
  } catch (err) {
    throw new SkiffError('BadRequest', `kubeconfig ${path} is not valid YAML: ${String(err)}`);
  }
  const ctxName = context ?? doc['current-context'];
  if (typeof ctxName !== 'string' || ctxName === '')
    throw new SkiffError('BadRequest', `kubeconfig ${path} has no current-context`);
  const ctx = pick<Record<string, unknown>>(doc.contexts, ctxName, 'context', path);
  const cluster = pick<Record<string, unknown>>(doc.clusters, String(ctx.cluster), 'cluster', path);
  const user =
    typeof ctx.user === 'string'
      ? pick<Record<string, unknown>>(doc.users, ctx.user, 'user', path)
      : {};
  if (typeof cluster.server !== 'string')
    throw new SkiffError(
      'BadRequest',
      `kubeconfig ${path}: cluster "${ctx.cluster}" has no server`,
    );
  const base = dirname(path);
  const tokenFile = user.tokenFile;
  return {
    server: cluster.server.replace(/\/+$/, ''),
    token:
      typeof user.token === 'string'
        ? user.token
        : typeof tokenFile === 'string'
          ? readFileSync(isAbsolute(tokenFile) ? tokenFile : join(base, tokenFile), 'utf8').trim()
          : undefined,
    ca: material(cluster, 'certificate-authority-data', 'certificate-authority', base),
    cert: material(user, 'client-certificate-data', 'client-certificate', base),
    key: material(user, 'client-key-data', 'client-key', base),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
  };
}

/** readKubeconfig reads a kubeconfig file and returns the connection of its current context. */
export function readKubeconfig(path: string, context?: string): ClientConnection {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SkiffError('BadRequest', `cannot read kubeconfig ${path}: ${(err as Error).message}`);
  }
  return parseKubeconfig(text, path, context);
}
