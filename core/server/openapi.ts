import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { KindDefinition } from '../../sdk/api/kinds.ts';
import { type Components, openApiSchema } from './openapi-schema.ts';
import type { Resource, ResourceRegistry } from './resources.ts';
import { notFound } from './routes.ts';

type Json = Record<string, unknown>;

/** schemaName is the name Kubernetes gives a kind's schema (`io.k8s.api.apps.v1.Deployment`). */
export function schemaName(def: KindDefinition): string {
  const g = def.group === '' ? 'core' : (def.group.split('.')[0] ?? def.group);
  return `io.k8s.api.${g}.${def.version}.${def.kind}`;
}

const gvk = (def: KindDefinition) => ({ group: def.group, version: def.version, kind: def.kind });

function kindSchema(def: KindDefinition, components: Components): Json {
  return {
    ...openApiSchema(def.schema, '', components),
    'x-kubernetes-group-version-kind': [gvk(def)],
  };
}

/** schemasOf builds the named schemas of some kinds: each kind and the types it uses. */
function schemasOf(defs: KindDefinition[], refBase: string): Record<string, Json> {
  const components: Components = { schemas: {}, ref: (name) => `${refBase}${name}` };
  for (const def of defs) components.schemas[schemaName(def)] = kindSchema(def, components);
  return components.schemas;
}

function paths(resources: Resource[], ref: (def: KindDefinition) => Json): Json {
  const out: Json = {};
  for (const { def } of resources) {
    const base = def.group === '' ? `/api/${def.version}` : `/apis/${def.group}/${def.version}`;
    const scope = def.namespaced
      ? `${base}/namespaces/{namespace}/${def.plural}`
      : `${base}/${def.plural}`;
    const common = { 'x-kubernetes-group-version-kind': gvk(def) };
    const ok = { '200': { description: 'OK', ...ref(def) } };
    const fieldValidation = {
      name: 'fieldValidation',
      in: 'query',
      schema: { type: 'string' },
      description: 'how to treat unknown fields: Ignore, Warn or Strict',
    };
    out[scope] = {
      get: {
        operationId: `list${def.kind}`,
        'x-kubernetes-action': 'list',
        ...common,
        responses: ok,
      },
      post: {
        operationId: `create${def.kind}`,
        'x-kubernetes-action': 'post',
        ...common,
        parameters: [fieldValidation],
        responses: ok,
      },
    };
    out[`${scope}/{name}`] = {
      get: {
        operationId: `read${def.kind}`,
        'x-kubernetes-action': 'get',
        ...common,
        responses: ok,
      },
      put: {
        operationId: `replace${def.kind}`,
        'x-kubernetes-action': 'put',
        ...common,
        parameters: [fieldValidation],
        responses: ok,
      },
      patch: {
        operationId: `patch${def.kind}`,
        'x-kubernetes-action': 'patch',
        ...common,
        parameters: [fieldValidation],
        responses: ok,
      },
      delete: {
        operationId: `delete${def.kind}`,
        'x-kubernetes-action': 'delete',
        ...common,
        responses: ok,
      },
    };
  }
  return out;
}

/** groupVersionDocument is the OpenAPI v3 document of one group/version. */
export function groupVersionDocument(
  registry: ResourceRegistry,
  group: string,
  version: string,
): Json {
  const resources = registry.groupVersion(group, version);
  const ref = (def: KindDefinition) => ({
    content: {
      'application/json': { schema: { $ref: `#/components/schemas/${schemaName(def)}` } },
    },
  });
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths: paths(resources, ref),
    components: {
      schemas: schemasOf(
        resources.map((r) => r.def),
        '#/components/schemas/',
      ),
    },
  };
}

/** swaggerDocument is the OpenAPI v2 (JSON) document of every group/version. */
export function swaggerDocument(registry: ResourceRegistry): Json {
  const all = registry.all();
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths: paths(all, (def) => ({ schema: { $ref: `#/definitions/${schemaName(def)}` } })),
    definitions: schemasOf(
      all.map((r) => r.def),
      '#/definitions/',
    ),
  };
}

/** registerOpenApiRoutes serves /openapi/v3 (root and per group/version) and /openapi/v2. */
export function registerOpenApiRoutes(app: FastifyInstance, registry: ResourceRegistry): void {
  const docs = new Map<string, { body: string; hash: string }>();
  for (const { group, versions } of registry.groups())
    for (const version of versions) {
      const path = group === '' ? `api/${version}` : `apis/${group}/${version}`;
      const body = JSON.stringify(groupVersionDocument(registry, group, version));
      docs.set(path, { body, hash: createHash('sha512').update(body).digest('hex').slice(0, 64) });
    }
  const root = JSON.stringify({
    paths: Object.fromEntries(
      [...docs.entries()].map(([p, d]) => [
        p,
        { serverRelativeURL: `/openapi/v3/${p}?hash=${d.hash}` },
      ]),
    ),
  });
  app.get('/openapi/v3', async (_req, reply) => reply.type('application/json').send(root));
  app.get('/openapi/v3/*', async (req, reply) => {
    const path = (req.params as { '*': string })['*'];
    const doc = docs.get(path);
    if (doc === undefined) throw notFound();
    return reply.type('application/json').send(doc.body);
  });
  let v2: string | undefined;
  app.get('/openapi/v2', async (req, reply) => {
    // kubectl asks for protobuf here; it copes with a 404, not with JSON it cannot parse.
    if (!/application\/json|\*\/\*/.test(req.headers.accept ?? '*/*')) throw notFound();
    v2 ??= JSON.stringify(swaggerDocument(registry));
    return reply.type('application/json').send(v2);
  });
}
