import { Kind, type TSchema } from '@sinclair/typebox';
import * as api from '../../sdk/api/index.ts';

type Json = Record<string, unknown>;

/**
 * Components collects the named schemas a document refers to. Nested object types get their
 * own entry and a `$ref`, as in Kubernetes' documents, so `kubectl explain` can print
 * `<PodTemplateSpec>` rather than `<Object>`.
 */
export interface Components {
  readonly schemas: Record<string, Json>;
  /** ref turns a schema name into the reference (`#/components/schemas/NAME`). */
  readonly ref: (name: string) => string;
}

// The sdk names each object type by its export; the JSON of a schema identifies it (an
// optional copy serializes the same), so a nested schema's JSON finds its name. A field may
// give a named type its own description, so the top-level description is not part of it.
const identity = (schema: TSchema) => JSON.stringify({ ...schema, description: undefined });

const typeNames: Map<string, string> = (() => {
  const names = new Map<string, string>();
  for (const [name, value] of Object.entries(api)) {
    if (typeof value !== 'object' || value === null || (value as TSchema)[Kind] !== 'Object')
      continue;
    const key = identity(value as TSchema);
    if (!names.has(key)) names.set(key, name);
  }
  return names;
})();

const metaTypes = new Set([
  'ObjectMeta',
  'OwnerReference',
  'ListMeta',
  'LabelSelector',
  'LabelSelectorRequirement',
  'Condition',
]);

/** componentName is where a named type lives in the document, as Kubernetes names them. */
function componentName(type: string): string {
  return metaTypes.has(type)
    ? `io.k8s.apimachinery.pkg.apis.meta.v1.${type}`
    : `io.k8s.api.core.v1.${type}`;
}

// Kubernetes merges these lists by key in strategic merge patches; the OpenAPI document says
// so, and kubectl computes its patches from it.
const mergeKeys: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  imagePullSecrets: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  hostAliases: 'ip',
};

function mergeKeyFor(field: string, items: TSchema): string | undefined {
  const props = ((items as { properties?: Json }).properties ?? {}) as Json;
  if (field === 'ports')
    return 'containerPort' in props ? 'containerPort' : 'port' in props ? 'port' : undefined;
  const key = mergeKeys[field];
  return key !== undefined && key in props ? key : undefined;
}

/**
 * openApiSchema converts a TypeBox schema to the OpenAPI form Kubernetes publishes. With
 * components, named nested object types become references to entries added there.
 */
export function openApiSchema(
  schema: TSchema,
  field = '',
  components?: Components,
  root = true,
): Json {
  const description =
    typeof schema.description === 'string' ? { description: schema.description } : {};
  if (schema['x-kubernetes-int-or-string'] === true)
    return {
      type: 'string',
      format: 'int-or-string',
      'x-kubernetes-int-or-string': true,
      ...description,
    };
  if (schema['x-kubernetes-quantity'] === true)
    return { type: 'string', format: 'quantity', ...description };
  const child = (s: TSchema, f = '') => openApiSchema(s, f, components, false);
  switch (schema[Kind]) {
    case 'Object': {
      const type = root || components === undefined ? undefined : typeNames.get(identity(schema));
      if (type !== undefined && components !== undefined) {
        const name = componentName(type);
        if (!(name in components.schemas)) {
          components.schemas[name] = {};
          components.schemas[name] = openApiSchema(
            (api as unknown as Record<string, TSchema>)[type] ?? schema,
            field,
            components,
            true,
          );
        }
        const own = (api as unknown as Record<string, TSchema>)[type]?.description;
        // As Kubernetes publishes it: a field that describes a named type in its own words
        // refers to it through allOf, next to that description.
        return schema.description !== undefined && schema.description !== own
          ? { allOf: [{ $ref: components.ref(name) }], description: schema.description }
          : { $ref: components.ref(name) };
      }
      const props = (schema as unknown as { properties: Record<string, TSchema> }).properties;
      const required = (schema as { required?: string[] }).required;
      return {
        type: 'object',
        ...description,
        properties: Object.fromEntries(Object.entries(props).map(([k, v]) => [k, child(v, k)])),
        ...(required && required.length > 0 ? { required: [...required] } : {}),
      };
    }
    case 'Record': {
      const pattern =
        (schema as { patternProperties?: Record<string, TSchema> }).patternProperties ?? {};
      const value = Object.values(pattern)[0];
      return { type: 'object', ...description, additionalProperties: value ? child(value) : {} };
    }
    case 'Array': {
      const raw = (schema as unknown as { items: TSchema }).items;
      const key = mergeKeyFor(field, raw);
      return {
        type: 'array',
        ...description,
        items: child(raw),
        ...(key === undefined
          ? {}
          : { 'x-kubernetes-patch-merge-key': key, 'x-kubernetes-patch-strategy': 'merge' }),
      };
    }
    case 'String':
      return {
        type: 'string',
        ...description,
        ...(schema.format ? { format: schema.format } : {}),
      };
    case 'Integer':
      return { type: 'integer', format: 'int64', ...description };
    case 'Number':
      return { type: 'number', format: 'double', ...description };
    case 'Boolean':
      return { type: 'boolean', ...description };
    case 'Literal':
      return { type: typeof schema.const, enum: [schema.const], ...description };
    case 'Union': {
      const consts = ((schema.anyOf ?? []) as TSchema[]).map((s) => s.const);
      if (consts.every((c) => typeof c === 'string'))
        return { type: 'string', enum: consts, ...description };
      return { 'x-kubernetes-preserve-unknown-fields': true, ...description };
    }
    default:
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, ...description };
  }
}
