import type { FastifyInstance } from 'fastify';
import type { KubeObject } from '../../sdk/api/meta.ts';
import { isSkiffError, SkiffError } from '../../sdk/errors.ts';
import {
  authenticate,
  type Identity,
  type NodeAuthOptions,
  registerNodeJoin,
} from './node-auth.ts';
import { authorize, type NodeRequest, requestAttributes } from './node-authz.ts';
import { nodeRestriction } from './node-restriction.ts';
import { applyPatch } from './patch/index.ts';

/** AuthOptions say which credentials the API server accepts. */
export interface AuthOptions {
  /** adminTokens may do anything. */
  readonly adminTokens: readonly string[];
  /** nodes turns on the join endpoint and node credentials. */
  readonly nodes?: NodeAuthOptions;
  /** podNode finds the node a pod is bound to, for the node rules. */
  readonly podNode: NodeRequest['podNode'];
  /** node reads a stored Node, for the rules on what a node may change in its own. */
  readonly node?: (name: string) => Promise<KubeObject | undefined>;
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
    if (identity.kind === 'node' && opts.node !== undefined) {
      const refused = await restrictOwnNode(identity.nodeName, req, opts.node);
      if (refused !== undefined) throw refused;
    }
  });
  registerNodeJoin(app, opts.nodes);
}

const nodeKind = { group: '', apiVersion: 'v1', kind: 'Node', plural: 'nodes' } as const;

/**
 * restrictOwnNode works out the Node a node's write to its own Node would leave and applies
 * NodeRestriction to it; a body that is no valid patch is left for the handler to refuse.
 */
async function restrictOwnNode(
  nodeName: string,
  req: { method: string; url: string; body: unknown; headers: Record<string, unknown> },
  readNode: (name: string) => Promise<KubeObject | undefined>,
) {
  const r = requestAttributes(req.method, req.url).resource;
  if (r === undefined || r.group !== '' || r.plural !== 'nodes' || r.subresource !== undefined)
    return undefined;
  if (req.method === 'POST' && r.name === undefined)
    return nodeRestriction(nodeName, undefined, req.body as KubeObject);
  if (r.name !== nodeName || (req.method !== 'PUT' && req.method !== 'PATCH')) return undefined;
  const prev = await readNode(nodeName);
  if (prev === undefined) return undefined;
  if (req.method === 'PUT') return nodeRestriction(nodeName, prev, req.body as KubeObject);
  const contentType = String(req.headers['content-type'] ?? '');
  // Server-side apply needs the request's manager and force to give the same result.
  const query = new URLSearchParams(req.url.split('?')[1] ?? '');
  const next = applyPatch(contentType, prev, req.body, {
    def: nodeKind,
    name: nodeName,
    fieldManager: query.get('fieldManager') ?? '',
    force: query.get('force') === 'true',
  });
  return next instanceof SkiffError ? undefined : nodeRestriction(nodeName, prev, next);
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
