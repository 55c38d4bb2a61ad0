import { Kind, type TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { Value, ValueErrorType } from '@sinclair/typebox/value';
import { type FieldError, fieldPath, required, typeInvalid } from './field-error.ts';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function recordValueSchema(schema: TSchema): TSchema | undefined {
  const pattern = (schema as { patternProperties?: Record<string, TSchema> }).patternProperties;
  return pattern === undefined ? undefined : Object.values(pattern)[0];
}

function mapPath(base: string, key: string): string {
  // Map keys that look like paths would be ambiguous with dots; Kubernetes uses brackets.
  return `${base}[${key}]`;
}

/**
 * walk visits the value along the schema, reporting unknown fields and building a copy with
 * unknown fields and null-valued properties removed (Kubernetes decodes null as "unset").
 */
function walk(schema: TSchema, value: unknown, path: string, unknown: string[]): unknown {
  switch (schema[Kind]) {
    case 'Object': {
      if (!isObject(value)) return value;
      const props = (schema as unknown as { properties: Record<string, TSchema> }).properties;
      const closed = (schema as { additionalProperties?: unknown }).additionalProperties === false;
      const out: Json = {};
      for (const [key, v] of Object.entries(value)) {
        const sub = props[key];
        const here = fieldPath(path, key);
        if (sub === undefined) {
          if (closed) unknown.push(here);
          else out[key] = v;
        } else if (v !== null) {
          out[key] = walk(sub, v, here, unknown);
        }
      }
      return out;
    }
    case 'Record': {
      const sub = recordValueSchema(schema);
      if (!isObject(value) || sub === undefined) return value;
      const out: Json = {};
      for (const [key, v] of Object.entries(value))
        out[key] = walk(sub, v, mapPath(path, key), unknown);
      return out;
    }
    case 'Array': {
      const items = (schema as unknown as { items: TSchema }).items;
      if (!Array.isArray(value)) return value;
      return value.map((v, i) => walk(items, v, `${path}[${i}]`, unknown));
    }
    default:
      return value;
  }
}

/** DecodeResult is a value cleaned of unknown fields, with the paths of those fields. */
export interface DecodeResult<T = unknown> {
  readonly value: T;
  readonly unknownFields: string[];
}

/** decodeAgainst lists unknown fields (for fieldValidation=Strict/Warn) and prunes them (Ignore). */
export function decodeAgainst<T = unknown>(schema: TSchema, value: unknown): DecodeResult<T> {
  const unknownFields: string[] = [];
  const cleaned = walk(schema, value, '', unknownFields);
  return { value: cleaned as T, unknownFields };
}

function pointerToPath(pointer: string, root: TSchema): string {
  // Follows the schema so that map keys print as `[key]` and list indexes as `[i]`.
  let path = '';
  let schema: TSchema | undefined = root;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const kind: unknown = schema?.[Kind];
    if (kind === 'Array') {
      path += `[${seg}]`;
      schema = (schema as unknown as { items: TSchema }).items;
    } else if (kind === 'Record') {
      path = mapPath(path, seg);
      schema = schema === undefined ? undefined : recordValueSchema(schema);
    } else {
      path = fieldPath(path, seg);
      schema = (schema as unknown as { properties?: Record<string, TSchema> } | undefined)
        ?.properties?.[seg];
    }
  }
  return path;
}

function typeDetail(schema: TSchema): string {
  if (schema['x-kubernetes-int-or-string'] === true) return 'must be an integer or a string';
  if (schema['x-kubernetes-quantity'] === true) return 'must be a quantity (a string or a number)';
  const type = (schema as { type?: unknown }).type;
  if (typeof type === 'string') return `must be of type ${type}`;
  return 'has the wrong type';
}

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

/**
 * schemaErrors reports values of the wrong type and missing required fields, with paths.
 * Unknown fields are not reported here (decodeAgainst lists them); pass a decoded value.
 */
export function schemaErrors(schema: TSchema, value: unknown): FieldError[] {
  // A compiled check answers the common case (a well-typed object) quickly; the slower error
  // walk runs only for values that fail it.
  let check = compiled.get(schema);
  if (check === undefined) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  if (check.Check(value)) return [];
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const e of Value.Errors(schema, value)) {
    if (e.type === ValueErrorType.ObjectAdditionalProperties) continue;
    const path = pointerToPath(e.path, schema);
    if (seen.has(path)) continue;
    seen.add(path);
    if (e.type === ValueErrorType.ObjectRequiredProperty || e.value === undefined)
      out.push(required(path));
    else if (e.type === ValueErrorType.StringFormat)
      out.push(typeInvalid(path, e.value, 'must be an RFC 3339 timestamp'));
    else out.push(typeInvalid(path, e.value, typeDetail(e.schema)));
  }
  return out;
}
