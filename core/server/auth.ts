import type { FastifyInstance } from 'fastify';
import { isSkiffError, SkiffError } from '../../sdk/errors.ts';
import {
  authenticate,
  type Identity,
  type NodeAuthOptions,
  registerNodeJoin,
} from './node-auth.ts';
import { authorize, type NodeRequest } from './node-authz.ts';

/** AuthOptions say which credentials the API server accepts. */
export interface AuthOptions {
  /** adminTokens may do anything. */
  readonly adminTokens: readonly string[];
  /** nodes turns on the join endpoint and node credentials. */
  readonly nodes?: NodeAuthOptions;
  /** podNode finds the node a pod is bound to, for the node rules. */
  readonly podNode: NodeRequest['podNode'];
  /** publicPaths are served to anyone (version and health). */
  readonly publicPaths: ReadonlySet<string>;
}

/**
 * registerAuth authenticates every request but the public ones (401 without a known
 * credential) and, once the body is read, authorizes the join token and node credentials
 * (403 in Kubernetes' form). The join endpoint is served when node credentials are on.
 */
export function registerAuth(app: FastifyInstance, opts: AuthOptions): void {
  const identities = new WeakMap<object, Identity>();
  app.addHook('onRequest', async (req) => {
    const path = req.url.split('?')[0] ?? '';
    if (opts.publicPaths.has(path)) return;
    const identity = authenticate(req.headers.authorization, opts.adminTokens, opts.nodes);
    if (identity === undefined) throw new SkiffError('Unauthorized', 'Unauthorized');
    if (identity.kind !== 'admin') identities.set(req, identity);
  });
  if (opts.nodes === undefined) return;
  app.addHook('preHandler', async (req) => {
    const identity = identities.get(req);
    if (identity === undefined) return;
    const denied = await authorize(identity, req.method, req.url, req.body, opts.podNode);
    if (denied !== undefined) throw denied;
  });
  registerNodeJoin(app, opts.nodes);
}

/** missingAsUndefined turns a NotFound into undefined, for lookups that may miss. */
export async function missingAsUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (isSkiffError(err, 'NotFound')) return undefined;
    throw err;
  }
}
