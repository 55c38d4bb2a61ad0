import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../../sdk/api/meta.ts';
import { decodeAgainst } from '../../sdk/api/validation/schema-check.ts';
import { SkiffError } from '../../sdk/errors.ts';
import type { Resource } from './resources.ts';

/** FieldValidation is the `fieldValidation` query parameter: how unknown fields are treated. */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** WriteContext carries a write's options and collects the warnings it produces. */
export interface WriteContext {
  fieldValidation: FieldValidation;
  dryRun: boolean;
  fieldManager?: string;
  /** patched is set when the patch engine has already recorded managedFields for this write. */
  patched?: boolean;
  /** warnings are sent back as `Warning` headers. */
  warnings: string[];
}

/** parseFieldValidation reads the query parameter; Kubernetes' server default is Warn. */
export function parseFieldValidation(value: unknown): FieldValidation {
  if (value === undefined || value === '') return 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw new SkiffError(
    'BadRequest',
    `fieldValidation must be one of "Ignore", "Warn" or "Strict", got ${JSON.stringify(value)}`,
  );
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * decodeBody checks a request body is an object of the resource's kind and version, then
 * removes unknown fields, refusing them under Strict and warning under Warn.
 */
export function decodeBody(res: Resource, body: unknown, ctx: WriteContext): KubeObject {
  const { def } = res;
  if (!isObject(body))
    throw new SkiffError(
      'BadRequest',
      `the body of the request must be a JSON object of kind ${def.kind}`,
    );
  if (body.apiVersion !== undefined && body.apiVersion !== def.apiVersion)
    throw new SkiffError(
      'BadRequest',
      `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${def.apiVersion})`,
    );
  if (body.kind !== undefined && body.kind !== def.kind)
    throw new SkiffError(
      'BadRequest',
      `the kind in the data (${String(body.kind)}) does not match the expected kind (${def.kind})`,
    );
  const decoded = decodeAgainst<KubeObject>(def.schema, body);
  if (decoded.unknownFields.length > 0) {
    const fields = decoded.unknownFields.map((f) => `unknown field ${JSON.stringify(f)}`);
    if (ctx.fieldValidation === 'Strict')
      throw new SkiffError(
        'BadRequest',
        `${def.kind} in version ${JSON.stringify(def.version)} cannot be handled as a ${def.kind}: strict decoding error: ${fields.join(', ')}`,
      );
    if (ctx.fieldValidation === 'Warn') ctx.warnings.push(...fields);
  }
  const object = decoded.value;
  object.apiVersion = def.apiVersion;
  object.kind = def.kind;
  object.metadata = isObject(object.metadata) ? object.metadata : {};
  return object;
}

const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** generatedName appends five random characters to a generateName prefix, as Kubernetes does. */
export function generatedName(prefix: string): string {
  const bytes = randomBytes(5);
  let suffix = '';
  for (const b of bytes) suffix += nameAlphabet[b % nameAlphabet.length];
  return `${prefix.slice(0, 63 - 5)}${suffix}`;
}

/** specOf is everything of an object but its metadata and status: what generation tracks. */
export function specOf(o: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return JSON.stringify(rest);
}
