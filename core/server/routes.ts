import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KubeObject } from '../../sdk/api/meta.ts';
import { isSkiffError, SkiffError } from '../../sdk/errors.ts';
import { parseFieldValidation, type WriteContext } from './decode.ts';
import { resourceList } from './discovery.ts';
import type { NodeProxy } from './node-proxy.ts';
import type { DeleteRequest, ObjectService } from './object-service.ts';
import { type applyPatch, patchContentTypes } from './patch/index.ts';
import type { Resource, ResourceRegistry } from './resources.ts';
import { successStatus, warningHeader } from './status.ts';
import { applyScale, bindPod, scaleOf } from './subresources.ts';
import type { toTable } from './table/index.ts';
import { serveWatch } from './watch.ts';

/** ResourceRoutesOptions are what the generic resource handler works with. */
export interface ResourceRoutesOptions {
  registry: ResourceRegistry;
  objects: ObjectService;
  patch: typeof applyPatch;
  table: typeof toTable;
  bookmarkIntervalMs: number;
  /** nodeProxy serves pods/log, exec and attach from the pod's node. */
  nodeProxy?: NodeProxy;
}

/** Target is what a resource URL addresses. */
interface Target {
  res: Resource;
  ns?: string;
  name?: string;
  sub?: string;
}

type Query = Record<string, string | undefined>;

function parseTarget(registry: ResourceRegistry, group: string, version: string, rest: string[]) {
  const [a, b, c, d, e, ...extra] = rest;
  if (a === undefined) return 'groupVersion' as const;
  if (a === 'namespaces' && b !== undefined && c !== undefined) {
    const res = registry.find(group, version, c);
    if (res?.def.namespaced && extra.length === 0)
      return {
        res,
        ns: b,
        ...(d === undefined ? {} : { name: d }),
        ...(e === undefined ? {} : { sub: e }),
      };
  }
  const res = registry.find(group, version, a);
  if (res === undefined || d !== undefined) return undefined;
  if (res.def.namespaced && b !== undefined) return undefined;
  return { res, ...(b === undefined ? {} : { name: b }), ...(c === undefined ? {} : { sub: c }) };
}

const int = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new SkiffError(
      'BadRequest',
      `${name} must be a non-negative integer, got ${JSON.stringify(v)}`,
    );
  return n;
};

/** registerResourceRoutes serves every registered resource from one generic handler. */
export function registerResourceRoutes(app: FastifyInstance, opts: ResourceRoutesOptions): void {
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0] ?? '';
    const segs = path
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
    const core = segs[0] === 'api';
    if (!core && segs.length < 3) return undefined;
    const group = core ? '' : (segs[1] ?? '');
    const version = core ? (segs[1] ?? '') : (segs[2] ?? '');
    const target = parseTarget(opts.registry, group, version, segs.slice(core ? 2 : 3));
    if (target === 'groupVersion') {
      if (req.method !== 'GET' || opts.registry.groupVersion(group, version).length === 0)
        throw notFound();
      return resourceList(opts.registry, group, version);
    }
    if (target === undefined) throw notFound();
    if (target.res.def.deprecated !== undefined)
      reply.header('Warning', warningHeader(target.res.def.deprecated));
    return serve(opts, target, req, reply);
  };
  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/api/*', handler });
  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/apis/*', handler });
}

/** notFound is the Status for a path no resource serves. */
export const notFound = () =>
  new SkiffError('NotFound', 'the server could not find the requested resource');

function writeContext(q: Query): WriteContext {
  const dryRun = q.dryRun;
  if (dryRun !== undefined && dryRun !== 'All')
    throw new SkiffError('BadRequest', `dryRun must be "All", got ${JSON.stringify(dryRun)}`);
  return {
    fieldValidation: parseFieldValidation(q.fieldValidation),
    dryRun: dryRun === 'All',
    ...(q.fieldManager === undefined ? {} : { fieldManager: q.fieldManager }),
    warnings: [],
  };
}

const wantsTable = (req: FastifyRequest) => /as=Table/.test(req.headers.accept ?? '');

async function serve(
  opts: ResourceRoutesOptions,
  t: Target,
  req: FastifyRequest,
  reply: FastifyReply,
) {
  const { objects } = opts;
  const q = (req.query ?? {}) as Query;
  const { res, ns, name, sub } = t;
  const include = q.includeObject;
  if (include !== undefined && !['None', 'Metadata', 'Object'].includes(include))
    throw new SkiffError(
      'BadRequest',
      `includeObject must be None, Metadata or Object, got ${JSON.stringify(include)}`,
    );
  const table = (
    items: KubeObject[],
    metadata: { resourceVersion?: string; continue?: string },
    noHeaders = false,
  ) =>
    opts.table(res.def.kind, items, {
      now: new Date(),
      metadata,
      noHeaders,
      ...(include === undefined
        ? {}
        : { includeObject: include as 'None' | 'Metadata' | 'Object' }),
    });
  const respond = (code: number, object: unknown, ctx?: WriteContext) => {
    if (ctx && ctx.warnings.length > 0) reply.header('Warning', ctx.warnings.map(warningHeader));
    reply.code(code);
    return object;
  };
  if (sub === 'log' || sub === 'exec' || sub === 'attach' || sub === 'portforward') {
    if (res.def.kind !== 'Pod' || name === undefined) throw notFound();
    if (opts.nodeProxy !== undefined)
      return opts.nodeProxy.serve(sub, ns ?? 'default', name, req, reply);
    await objects.get(res, ns, name);
    throw new SkiffError('ServiceUnavailable', `no node proxy serves ${sub} on this server`);
  }
  if (sub !== undefined && !['status', 'scale', 'binding', 'eviction', 'finalize'].includes(sub))
    throw notFound();
  if (sub === 'finalize' && res.def.kind !== 'Namespace') throw notFound();
  if (sub === 'scale' && !res.def.subresources.includes('scale')) throw notFound();
  if (sub === 'status' && !res.def.subresources.includes('status')) throw notFound();
  if ((sub === 'binding' || sub === 'eviction') && res.def.kind !== 'Pod') throw notFound();

  switch (req.method) {
    case 'GET': {
      const watching = q.watch === 'true' || q.watch === '1';
      if (name === undefined || watching) {
        const query = {
          ...(q.labelSelector === undefined ? {} : { labelSelector: q.labelSelector }),
          ...(q.fieldSelector === undefined ? {} : { fieldSelector: q.fieldSelector }),
        };
        if (watching) {
          const encode = wantsTable(req)
            ? (o: KubeObject) => table([o], {}, true)
            : (o: KubeObject) => o;
          reply.hijack();
          await serveWatch(
            objects,
            res,
            ns,
            {
              ...query,
              ...(q.resourceVersion === undefined ? {} : { resourceVersion: q.resourceVersion }),
              allowWatchBookmarks: q.allowWatchBookmarks === 'true',
              ...(q.timeoutSeconds === undefined
                ? {}
                : { timeoutSeconds: int(q.timeoutSeconds, 'timeoutSeconds') }),
              ...(name === undefined ? {} : { name }),
            },
            reply.raw,
            encode,
            { bookmarkIntervalMs: opts.bookmarkIntervalMs },
          );
          return reply;
        }
        const page = await objects.list(res, ns, {
          ...query,
          limit: int(q.limit, 'limit') ?? 0,
          ...(q.continue ? { continue: q.continue } : {}),
        });
        const rv = String(page.revision);
        if (wantsTable(req)) {
          return table(page.items, {
            resourceVersion: rv,
            ...(page.continue === undefined ? {} : { continue: page.continue }),
          });
        }
        return {
          kind: res.def.listKind,
          apiVersion: res.def.apiVersion,
          metadata: {
            resourceVersion: rv,
            ...(page.continue === undefined
              ? {}
              : { continue: page.continue, remainingItemCount: page.remaining }),
          },
          items: page.items,
        };
      }
      const object = await objects.get(res, ns, name);
      if (sub === 'scale') return scaleOf(object);
      return wantsTable(req)
        ? table([object], { resourceVersion: object.metadata?.resourceVersion ?? '' })
        : object;
    }
    case 'POST': {
      const ctx = writeContext(q);
      if (name === undefined)
        return respond(201, await objects.create(res, ns, req.body, ctx), ctx);
      if (sub === 'binding') {
        await bindPod(objects.store, res, ns, name, req.body, ctx.dryRun);
        return respond(201, successStatus(201));
      }
      if (sub === 'eviction') {
        await objects.delete(res, ns, name, {}, ctx.dryRun);
        return respond(201, successStatus(201));
      }
      throw new SkiffError(
        'MethodNotAllowed',
        `POST is not supported on ${res.def.plural}/${name}`,
      );
    }
    case 'PUT': {
      if (name === undefined || sub === 'binding' || sub === 'eviction')
        throw new SkiffError('MethodNotAllowed', `PUT needs an object name`);
      const ctx = writeContext(q);
      if (sub === 'scale') {
        const object = await objects.get(res, ns, name);
        const updated = await objects.update(res, ns, name, applyScale(object, req.body), ctx);
        return respond(200, scaleOf(updated), ctx);
      }
      const updated = await objects.update(
        res,
        ns,
        name,
        req.body,
        ctx,
        sub === 'status' || sub === 'finalize' ? sub : undefined,
      );
      return respond(200, updated, ctx);
    }
    case 'PATCH': {
      if (sub === 'finalize')
        throw new SkiffError('MethodNotAllowed', 'namespaces/finalize takes PUT only');
      if (name === undefined || sub === 'binding' || sub === 'eviction')
        throw new SkiffError('MethodNotAllowed', `PATCH needs an object name`);
      const ctx = writeContext(q);
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
      if (!(patchContentTypes as readonly string[]).includes(type))
        throw new SkiffError(
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: ${patchContentTypes.join(', ')}`,
        );
      const engine = opts.patch;
      const patchCtx = {
        def: res.def,
        name,
        fieldManager: q.fieldManager,
        force: q.force === 'true',
        subresource: sub,
      };
      let created = false;
      ctx.patched = true;
      const result = await retryConflicts(async () => {
        let current: KubeObject | undefined;
        try {
          current = await objects.get(res, ns, name);
        } catch (err) {
          if (
            !(
              type === 'application/apply-patch+yaml' &&
              isSkiffError(err, 'NotFound') &&
              sub === undefined
            )
          )
            throw err;
        }
        const view = sub === 'scale' && current !== undefined ? scaleOf(current) : current;
        const patched = unwrap(await engine(type, view, req.body, patchCtx));
        if (current === undefined) {
          created = true;
          return objects.create(res, ns, patched, ctx);
        }
        if (sub === 'scale')
          return scaleOf(await objects.update(res, ns, name, applyScale(current, patched), ctx));
        return objects.update(res, ns, name, patched, ctx, sub === 'status' ? 'status' : undefined);
      });
      return respond(created ? 201 : 200, result, ctx);
    }
    case 'DELETE': {
      const body = (req.body ?? {}) as DeleteRequest & { dryRun?: string[] };
      const grace = int(q.gracePeriodSeconds, 'gracePeriodSeconds') ?? body.gracePeriodSeconds;
      const delOpts: DeleteRequest = {
        ...body,
        ...(grace === undefined ? {} : { gracePeriodSeconds: grace }),
        ...(q.propagationPolicy === undefined ? {} : { propagationPolicy: q.propagationPolicy }),
        ...(q.orphanDependents === undefined ? {} : { orphanDependents: q.orphanDependents }),
      };
      const dryRun = q.dryRun === 'All' || (body.dryRun ?? []).includes('All');
      if (name === undefined) {
        const page = await objects.list(res, ns, {
          ...(q.labelSelector === undefined ? {} : { labelSelector: q.labelSelector }),
          ...(q.fieldSelector === undefined ? {} : { fieldSelector: q.fieldSelector }),
        });
        const items: KubeObject[] = [];
        for (const o of page.items) {
          try {
            items.push(
              (
                await objects.delete(
                  res,
                  o.metadata?.namespace,
                  o.metadata?.name ?? '',
                  delOpts,
                  dryRun,
                )
              ).object,
            );
          } catch (err) {
            if (!isSkiffError(err, 'NotFound')) throw err;
          }
        }
        return { kind: res.def.listKind, apiVersion: res.def.apiVersion, metadata: {}, items };
      }
      if (sub !== undefined)
        throw new SkiffError('MethodNotAllowed', `DELETE is not supported on ${sub}`);
      const { object } = await objects.delete(res, ns, name, delOpts, dryRun);
      return respond(200, object);
    }
    default:
      throw new SkiffError('MethodNotAllowed', `${req.method} is not supported`);
  }
}

/** Final carries an error the patch engine decided on: retrying would give the same answer. */
class Final {
  constructor(readonly error: unknown) {}
}

// The patch engine returns its expected failures as values.
function unwrap(result: unknown): unknown {
  if (isSkiffError(result)) throw new Final(result);
  return result;
}

// A patch is computed on the object as read; if the store says it changed meanwhile, read and
// patch again.
async function retryConflicts<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof Final) throw err.error;
      if (!isSkiffError(err, 'Conflict') || i >= 4) throw err;
    }
  }
}
