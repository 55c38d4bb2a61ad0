import Fastify, { type FastifyInstance } from 'fastify';
import { parse as parseYaml } from 'yaml';
import type { KindRegistry } from '../../sdk/api/kinds.ts';
import { isSkiffError, SkiffError } from '../../sdk/errors.ts';
import type { Store } from '../store/store.ts';
import { missingAsUndefined, registerAuth } from './auth.ts';
import {
  aggregatedDiscovery,
  aggregatedDiscoveryType,
  apiGroup,
  legacyGroups,
  legacyVersions,
  versionInfo,
  wantsAggregated,
} from './discovery.ts';
import { RequestMetrics, registerMetrics } from './metrics.ts';
import { bootstrapNamespaces } from './namespaces.ts';
import type { NodeAuthOptions } from './node-auth.ts';
import { NodeProxy } from './node-proxy.ts';
import { ObjectService } from './object-service.ts';
import { registerOpenApiRoutes } from './openapi.ts';
import { applyPatch, patchContentTypes } from './patch/index.ts';
import { decodeProtobuf, protobufType } from './protobuf.ts';
import { ResourceRegistry } from './resources.ts';
import { notFound, registerResourceRoutes } from './routes.ts';
import {
  ServiceAllocations,
  type ServiceNetworkOptions,
  serviceWriteHooks,
} from './service-alloc-hook.ts';
import { type ApiEndpoint, ensureKubernetesService } from './service-alloc-kubernetes.ts';
import { startAllocationRepair } from './service-alloc-repair.ts';
import { statusOf } from './status.ts';
import { toTable } from './table/index.ts';

/** ApiServerOptions configure createApiServer. */
export interface ApiServerOptions {
  store: Store;
  kinds: KindRegistry;
  /** https serves TLS with this key and certificate (PEM); absent: plain HTTP. */
  https?: { key: string; cert: string };
  /** token is the bearer token required on every request but the public ones. */
  token?: string;
  /** extraTokens are further bearer tokens with the admin's rights. */
  extraTokens?: string[];
  /** nodes turns on joining (`POST /skiff/v1/nodes/join`) and per-node credentials. */
  nodes?: NodeAuthOptions;
  /** bodyLimit is the largest request body in bytes (Kubernetes: 3 MiB). */
  bodyLimit?: number;
  /** bookmarkIntervalMs is how often watches that allow bookmarks get one. */
  bookmarkIntervalMs?: number;
  /** serverAddress is what legacy discovery reports (`host:port`). */
  serverAddress?: string;
  /** services set the Service address and node port ranges, and how often allocations are repaired. */
  services?: ServiceNetworkOptions & { repairIntervalMs?: number };
}

/** ApiServer is the fastify app plus the pieces tests and the CLI reach for. */
export interface ApiServer {
  app: FastifyInstance;
  registry: ResourceRegistry;
  objects: ObjectService;
  /** services allocates Services' cluster IPs and node ports. */
  services: ServiceAllocations;
  /** announce makes or updates the `kubernetes` Service and its endpoints once listening. */
  announce(api: ApiEndpoint): Promise<void>;
}

const publicPaths = new Set(['/version', '/healthz', '/livez', '/readyz']);

/**
 * createApiServer builds the Kubernetes REST API over a store: discovery, version, health,
 * OpenAPI and every registered resource. The namespaces Kubernetes always has are created.
 * Listening is left to the caller (`app.listen`), so tests can use `app.inject` as well.
 */
export async function createApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const registry = new ResourceRegistry(opts.kinds);
  const services = new ServiceAllocations(opts.store, opts.services);
  const objects = new ObjectService(opts.store, registry, serviceWriteHooks(services));
  const app = Fastify({
    bodyLimit: opts.bodyLimit ?? 3 * 1024 * 1024,
    ...(opts.https === undefined ? {} : { https: opts.https }),
    logger: false,
    // Watches stay open until the client leaves; closing the server must not wait for them.
    forceCloseConnections: true,
  });
  const parseJson = (body: string) => {
    if (body === '') return undefined;
    try {
      return JSON.parse(body) as unknown;
    } catch (err) {
      throw new SkiffError(
        'BadRequest',
        `the body of the request is not valid JSON: ${(err as Error).message}`,
      );
    }
  };
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(
    ['application/json', ...patchContentTypes.filter((t) => !t.endsWith('yaml'))],
    { parseAs: 'string' },
    (_req, body, done) => {
      try {
        done(null, parseJson(body as string));
      } catch (err) {
        done(err as Error);
      }
    },
  );
  app.addContentTypeParser(
    ['application/apply-patch+yaml', 'application/yaml'],
    { parseAs: 'string' },
    (_req, body, done) => {
      try {
        done(null, parseYaml(body as string) as unknown);
      } catch (err) {
        done(
          new SkiffError(
            'BadRequest',
            `the body of the request is not valid YAML: ${(err as Error).message}`,
          ),
        );
      }
    },
  );
  app.addContentTypeParser(protobufType, { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, decodeProtobuf(body as Buffer));
    } catch (err) {
      done(err as Error);
    }
  });
  app.setErrorHandler((err, _req, reply) => {
    let status = statusOf(err);
    if (!isSkiffError(err)) {
      const code = (err as { statusCode?: number }).statusCode;
      const message = (err as Error).message;
      if (code === 413)
        status = statusOf(
          new SkiffError('RequestEntityTooLarge', `the request is too large: ${message}`),
        );
      else if (code === 415) status = statusOf(new SkiffError('UnsupportedMediaType', message));
      else if (code !== undefined && code >= 400 && code < 500)
        status = statusOf(new SkiffError('BadRequest', message));
    }
    void reply.code(status.code).type('application/json').send(status);
  });
  app.setNotFoundHandler((_req, reply) => {
    const status = statusOf(notFound());
    void reply.code(404).type('application/json').send(status);
  });
  registerMetrics(app, new RequestMetrics());
  const token = opts.token;
  if (token !== undefined) {
    const pods = registry.find('', 'v1', 'pods');
    registerAuth(app, {
      adminTokens: [token, ...(opts.extraTokens ?? [])],
      ...(opts.nodes === undefined ? {} : { nodes: opts.nodes }),
      publicPaths,
      podNode: async (ns, name) => {
        if (pods === undefined) return undefined;
        const pod = await missingAsUndefined(() => objects.get(pods, ns, name));
        if (pod === undefined) return undefined;
        return (pod as { spec?: { nodeName?: string } }).spec?.nodeName ?? '';
      },
      node: async (name) => {
        const nodes = registry.find('', 'v1', 'nodes');
        return nodes === undefined
          ? undefined
          : missingAsUndefined(() => objects.get(nodes, undefined, name));
      },
    });
  }

  for (const path of ['/healthz', '/livez', '/readyz'])
    app.get(path, async (_req, reply) => {
      await opts.store.currentRevision();
      return reply.type('text/plain').send('ok');
    });
  app.get('/version', async () => versionInfo);
  app.get('/api', async (req, reply) => {
    if (wantsAggregated(req.headers.accept))
      return reply
        .header('content-type', `${aggregatedDiscoveryType};charset=utf-8`)
        .send(JSON.stringify(aggregatedDiscovery(registry, true)));
    return legacyVersions(opts.serverAddress ?? req.headers.host ?? '127.0.0.1');
  });
  app.get('/apis', async (req, reply) => {
    if (wantsAggregated(req.headers.accept))
      return reply
        .header('content-type', `${aggregatedDiscoveryType};charset=utf-8`)
        .send(JSON.stringify(aggregatedDiscovery(registry, false)));
    return legacyGroups(registry);
  });
  app.get('/apis/:group', async (req) => {
    const { group } = req.params as { group: string };
    const found = registry.groups().find((g) => g.group === group && group !== '');
    if (found === undefined) throw notFound();
    return apiGroup(found.group, found.versions);
  });
  registerOpenApiRoutes(app, registry);
  const nodeProxy = new NodeProxy({
    registry,
    objects,
    ...(token === undefined ? {} : { adminTokens: [token, ...(opts.extraTokens ?? [])] }),
    ...(opts.nodes === undefined ? {} : { nodes: opts.nodes }),
  });
  // exec and attach arrive as upgrades, which fastify's routes never see.
  app.server.on('upgrade', nodeProxy.upgrade);
  registerResourceRoutes(app, {
    registry,
    objects,
    patch: applyPatch,
    table: toTable,
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 30_000,
    nodeProxy,
  });
  await bootstrapNamespaces(objects, registry);
  const repair = await startAllocationRepair(
    services,
    opts.store,
    registry,
    opts.services?.repairIntervalMs,
  );
  app.addHook('onClose', async () => repair.stop());
  return {
    app,
    registry,
    objects,
    services,
    announce: (api) => ensureKubernetesService(objects, registry, services, api),
  };
}
