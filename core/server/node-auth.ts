import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { isDnsSubdomain } from '../../sdk/api/validation/names.ts';
import { SkiffError } from '../../sdk/errors.ts';

/**
 * Node credentials, k3s-style and stateless: a node presents the join token once at
 * `POST /skiff/v1/nodes/join` and receives `skiff-node.<name>.<mac>`, where mac is an
 * HMAC-SHA256 of the name under a secret kept in the data dir. Checking one costs an HMAC and
 * no lookup, so thousands of simulated nodes add no state to the server; rotating the secret
 * file revokes every node credential at once.
 */

/** nodeJoinPath is where a node trades the join token for a credential of its own. */
export const nodeJoinPath = '/skiff/v1/nodes/join';

/** joinUser is the user the join token authenticates as; it may only join. */
export const joinUser = 'system:bootstrap:node-join';

/** nodeUser is the user a node credential authenticates as (group `system:nodes`). */
export const nodeUser = (nodeName: string): string => `system:node:${nodeName}`;

/** nodesGroup is the group every node credential belongs to. */
export const nodesGroup = 'system:nodes';

/** Identity is who a request authenticated as. */
export type Identity =
  | { readonly kind: 'admin'; readonly user: string }
  | { readonly kind: 'join'; readonly user: string }
  | {
      readonly kind: 'node';
      readonly user: string;
      readonly groups: readonly string[];
      readonly nodeName: string;
    };

/** NodeAuthOptions turn on the join endpoint and node credentials in createApiServer. */
export interface NodeAuthOptions {
  /** joinToken is `<data-dir>/node-token`: presented to join, good for nothing else. */
  readonly joinToken: string;
  /** secret keys the HMAC of node credentials. */
  readonly secret: Buffer;
}

const prefix = 'skiff-node.';

function mac(secret: Buffer, nodeName: string): string {
  return createHmac('sha256', secret).update(nodeName).digest('base64url');
}

/** nodeCredential is the bearer token that authenticates as node `nodeName`. */
export function nodeCredential(secret: Buffer, nodeName: string): string {
  return `${prefix}${nodeName}.${mac(secret, nodeName)}`;
}

/** verifyNodeCredential is the node a token names when its HMAC is right, else undefined. */
export function verifyNodeCredential(secret: Buffer, token: string): string | undefined {
  if (!token.startsWith(prefix)) return undefined;
  const dot = token.lastIndexOf('.');
  if (dot <= prefix.length) return undefined;
  const name = token.slice(prefix.length, dot);
  const given = Buffer.from(token.slice(dot + 1));
  const want = Buffer.from(mac(secret, name));
  return given.length === want.length && timingSafeEqual(given, want) ? name : undefined;
}

/** ensureNodeSecret reads `<data-dir>/pki/node-credential.key`, creating it on first start. */
export function ensureNodeSecret(dataDir: string): Buffer {
  const dir = join(dataDir, 'pki');
  const path = join(dir, 'node-credential.key');
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(path, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  }
  return Buffer.from(readFileSync(path, 'utf8').trim(), 'hex');
}

function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * authenticate maps an Authorization header to an identity: one of the admin tokens, the
 * join token, or a node credential; undefined when none matches.
 */
export function authenticate(
  header: string | undefined,
  adminTokens: readonly string[],
  nodes: NodeAuthOptions | undefined,
): Identity | undefined {
  const token = bearer(header);
  if (token === undefined) return undefined;
  if (adminTokens.some((t) => same(token, t))) return { kind: 'admin', user: 'skiff-admin' };
  if (nodes === undefined) return undefined;
  if (same(token, nodes.joinToken)) return { kind: 'join', user: joinUser };
  const nodeName = verifyNodeCredential(nodes.secret, token);
  if (nodeName === undefined) return undefined;
  return { kind: 'node', user: nodeUser(nodeName), groups: [nodesGroup], nodeName };
}

/** NodeCredentialResponse is what the join endpoint answers. */
export interface NodeCredentialResponse {
  apiVersion: 'skiff.dev/v1';
  kind: 'NodeCredential';
  nodeName: string;
  user: string;
  token: string;
}

/**
 * registerNodeJoin serves the join endpoint: body `{ nodeName }`, answer a NodeCredential.
 * Who may call it (the join token or an admin) is decided by the authorization hook.
 */
export function registerNodeJoin(app: FastifyInstance, nodes: NodeAuthOptions): void {
  app.post(nodeJoinPath, async (req, reply) => {
    const body = req.body as { nodeName?: unknown } | undefined;
    const nodeName = body?.nodeName;
    if (typeof nodeName !== 'string' || nodeName === '')
      throw new SkiffError('BadRequest', 'the join request needs a body {"nodeName": "<name>"}');
    const problems = isDnsSubdomain(nodeName);
    if (problems.length > 0)
      throw new SkiffError(
        'BadRequest',
        `nodeName ${JSON.stringify(nodeName)} is not a valid node name: ${problems.join('; ')}`,
      );
    const answer: NodeCredentialResponse = {
      apiVersion: 'skiff.dev/v1',
      kind: 'NodeCredential',
      nodeName,
      user: nodeUser(nodeName),
      token: nodeCredential(nodes.secret, nodeName),
    };
    return reply.code(201).send(answer);
  });
}
