import { SkiffError } from '../../sdk/errors.ts';
import { type Identity, nodeJoinPath } from './node-auth.ts';

/** RequestAttributes are what an authorization decision looks at, as Kubernetes names them. */
export interface RequestAttributes {
  readonly verb: string;
  readonly path: string;
  /** resource is absent for non-resource paths (discovery, OpenAPI, health). */
  readonly resource?: {
    readonly group: string;
    readonly plural: string;
    readonly namespace?: string;
    readonly name?: string;
    readonly subresource?: string;
  };
}

// Subresources of a namespace itself, not collections inside it.
const namespaceSubresources = new Set(['status', 'finalize']);

/** requestAttributes reads the verb and the addressed resource from a method and URL. */
export function requestAttributes(method: string, url: string): RequestAttributes {
  const [path = '', query = ''] = url.split('?');
  const parts = path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  const watching = /(^|&)watch=(true|1)(&|$)/.test(query);
  let rest: string[];
  let group: string;
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1] ?? '';
    rest = parts.slice(3);
  } else {
    return { verb: nonResourceVerb(method), path };
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !namespaceSubresources.has(rest[2] ?? '')) rest = rest.slice(2);
  }
  const [plural = '', name, subresource] = rest;
  const verb = resourceVerb(method, name !== undefined, watching);
  return {
    verb,
    path,
    resource: {
      group,
      plural,
      ...(namespace === undefined ? {} : { namespace }),
      ...(name === undefined ? {} : { name }),
      ...(subresource === undefined ? {} : { subresource }),
    },
  };
}

function nonResourceVerb(method: string): string {
  const verbs: Record<string, string> = {
    GET: 'get',
    HEAD: 'get',
    POST: 'post',
    PUT: 'put',
    PATCH: 'patch',
    DELETE: 'delete',
  };
  return verbs[method] ?? method.toLowerCase();
}

function resourceVerb(method: string, named: boolean, watching: boolean): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return watching ? 'watch' : named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/**
 * forbidden is Kubernetes' 403 for a denied request: `nodes "b" is forbidden: User "x" cannot
 * patch resource "nodes" in API group "" at the cluster scope`, with a reason appended.
 */
export function forbidden(
  user: string,
  attrs: RequestAttributes,
  reason?: string,
  name?: string,
): SkiffError {
  const why = reason === undefined ? '' : `: ${reason}`;
  const r = attrs.resource;
  if (r === undefined)
    return new SkiffError(
      'Forbidden',
      `forbidden: User ${JSON.stringify(user)} cannot ${attrs.verb} path ${JSON.stringify(attrs.path)}${why}`,
    );
  const resource = r.subresource === undefined ? r.plural : `${r.plural}/${r.subresource}`;
  const scope =
    r.namespace === undefined || r.plural === 'namespaces'
      ? 'at the cluster scope'
      : `in the namespace ${JSON.stringify(r.namespace)}`;
  const qualified = r.group === '' ? r.plural : `${r.plural}.${r.group}`;
  const target = name ?? r.name;
  const subject = target === undefined ? qualified : `${qualified} ${JSON.stringify(target)}`;
  return new SkiffError(
    'Forbidden',
    `${subject} is forbidden: User ${JSON.stringify(user)} cannot ${attrs.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(r.group)} ${scope}${why}`,
    {
      details: {
        ...(target === undefined ? {} : { name: target }),
        group: r.group,
        kind: r.plural,
      },
    },
  );
}

/** What a node reads to run its pods (kubelet's and kube-proxy's reads). */
const nodeReadable = new Set([
  '/pods',
  '/services',
  '/endpoints',
  '/configmaps',
  '/secrets',
  '/nodes',
  '/namespaces',
  '/persistentvolumeclaims',
  '/persistentvolumes',
  '/serviceaccounts',
  '/events',
  'node.k8s.io/runtimeclasses',
  'discovery.k8s.io/endpointslices',
  'coordination.k8s.io/leases',
  'storage.k8s.io/csidrivers',
  'storage.k8s.io/csinodes',
  'storage.k8s.io/storageclasses',
  'storage.k8s.io/volumeattachments',
]);

const readVerbs = new Set(['get', 'list', 'watch']);
const writeVerbs = new Set(['update', 'patch']);

/** NodeRequest is what the node rules need besides the attributes. */
export interface NodeRequest {
  readonly attrs: RequestAttributes;
  /** bodyName is metadata.name of a create's body. */
  readonly bodyName?: string;
  /** podNode finds the node a pod is bound to ('' when unbound, undefined when missing). */
  readonly podNode: (namespace: string, name: string) => Promise<string | undefined>;
}

/**
 * authorizeNode applies Kubernetes' node authorizer and NodeRestriction in small: a node reads
 * what it needs, writes only its own Node and Lease, the status of pods bound to it, deletes
 * those pods, and records events. The answer is a Forbidden error, or undefined when allowed.
 */
export async function authorizeNode(
  nodeName: string,
  user: string,
  req: NodeRequest,
): Promise<SkiffError | undefined> {
  const { attrs } = req;
  const r = attrs.resource;
  if (r === undefined)
    return attrs.verb === 'get' ? undefined : forbidden(user, attrs, undefined, undefined);
  const key = `${r.group}/${r.plural}`;
  const deny = (reason?: string) =>
    forbidden(user, attrs, reason, attrs.verb === 'create' ? req.bodyName : undefined);
  if (readVerbs.has(attrs.verb) && (r.subresource === undefined || r.subresource === 'status'))
    return nodeReadable.has(key) ? undefined : deny();
  switch (key) {
    case '/nodes': {
      if (r.subresource !== undefined && r.subresource !== 'status') return deny();
      const target = attrs.verb === 'create' ? req.bodyName : r.name;
      if (!['create', 'update', 'patch', 'delete'].includes(attrs.verb)) return deny();
      if (attrs.verb === 'create' && r.subresource !== undefined) return deny();
      return target === nodeName
        ? undefined
        : deny(`node ${JSON.stringify(nodeName)} may only modify its own Node`);
    }
    case 'coordination.k8s.io/leases': {
      if (r.subresource !== undefined) return deny();
      if (!['create', 'update', 'patch', 'delete'].includes(attrs.verb)) return deny();
      const target = attrs.verb === 'create' ? req.bodyName : r.name;
      return r.namespace === 'kube-node-lease' && target === nodeName
        ? undefined
        : deny(`node ${JSON.stringify(nodeName)} may only modify its own Lease in kube-node-lease`);
    }
    case '/pods': {
      const own =
        r.namespace !== undefined && r.name !== undefined
          ? (await req.podNode(r.namespace, r.name)) === nodeName
          : false;
      const statusWrite = r.subresource === 'status' && writeVerbs.has(attrs.verb);
      const deletion = r.subresource === undefined && attrs.verb === 'delete';
      if (!statusWrite && !deletion) return deny();
      return own
        ? undefined
        : deny(`node ${JSON.stringify(nodeName)} may only change pods bound to it`);
    }
    case '/events':
    case 'events.k8s.io/events':
      return ['create', 'update', 'patch'].includes(attrs.verb) ? undefined : deny();
    default:
      return deny();
  }
}

/**
 * authorize decides any authenticated request: an admin may do anything, the join token may
 * only join, a node follows the node rules. The answer is a Forbidden error or undefined.
 */
export async function authorize(
  identity: Identity,
  method: string,
  url: string,
  body: unknown,
  podNode: NodeRequest['podNode'],
): Promise<SkiffError | undefined> {
  if (identity.kind === 'admin') return undefined;
  const attrs = requestAttributes(method, url);
  if (attrs.path === nodeJoinPath)
    return identity.kind === 'join' && method === 'POST'
      ? undefined
      : forbidden(identity.user, attrs, 'only the join token may join a node');
  if (identity.kind === 'join')
    return forbidden(identity.user, attrs, 'the join token may only be used to join a node');
  const bodyName = (body as { metadata?: { name?: unknown } } | undefined)?.metadata?.name;
  return authorizeNode(identity.nodeName, identity.user, {
    attrs,
    ...(typeof bodyName === 'string' ? { bodyName } : {}),
    podNode,
  });
}
