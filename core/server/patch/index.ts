import fastJsonPatch from 'fast-json-patch';
import { parse as parseYaml } from 'yaml';
import type { KindDefinition } from '../../../sdk/api/kinds.ts';
import type { KubeObject } from '../../../sdk/api/meta.ts';
import { SkiffError } from '../../../sdk/errors.ts';
import { serverSideApply } from './apply.ts';
import { isJsonObject, type JsonObject, type JsonValue, PatchFormatError } from './json-value.ts';
import { recordUpdate } from './managed-fields.ts';
import { rootDefinition } from './merge-keys.ts';
import { mergePatch } from './merge-patch.ts';
import { strategicMerge } from './strategic.ts';

export { beforeFirstApply } from './apply.ts';
export { type FieldPath, FieldSet, fieldsOf } from './field-set.ts';
export { type ManagedFieldsEntry, recordUpdate, type WriterContext } from './managed-fields.ts';
export {
  type DefinitionPatchInfo,
  type FieldPatchInfo,
  fieldInfo,
  type KindPatchRoot,
  kindRoots,
  mergeKeys,
  openApiExtensions,
  type PatchStrategy,
  rootDefinition,
} from './merge-keys.ts';

/** patchContentTypes lists the patch media types the API server accepts, as Kubernetes orders them. */
export const patchContentTypes = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;

/** PatchContentType is one of patchContentTypes. */
export type PatchContentType = (typeof patchContentTypes)[number];

/** PatchContext says which kind is patched and who patches it. */
export interface PatchContext {
  /** def is the served kind (group, version, kind and plural name errors and managedFields). */
  readonly def: Pick<KindDefinition, 'group' | 'apiVersion' | 'kind' | 'plural'> &
    Partial<Pick<KindDefinition, 'subresources'>>;
  /** name is the object's name from the URL, for error messages and the apply name check. */
  readonly name?: string;
  /** fieldManager is the `fieldManager` query parameter; required for apply. */
  readonly fieldManager?: string;
  /** force is the `force` query parameter; only apply may set it. */
  readonly force?: boolean;
  /** subresource is set when the patch goes to a subresource such as `status` or `scale`. */
  readonly subresource?: string;
  /** now stamps managedFields times; defaults to the current time. */
  readonly now?: Date;
}

const badRequest = (message: string): SkiffError => new SkiffError('BadRequest', message);

/** invalidRequest is Kubernetes' generic 422 for a patch that cannot be applied. */
const invalidRequest = (detail: string): SkiffError =>
  new SkiffError('Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ reason: 'UnexpectedServerResponse', message: detail }],
  });

function resourceName(ctx: PatchContext): string {
  return ctx.def.group === '' ? ctx.def.plural : `${ctx.def.plural}.${ctx.def.group}`;
}

/**
 * applyPatch applies a PATCH body of the given Content-Type to the current object and returns
 * the new object, or the SkiffError Kubernetes answers with: 415 UnsupportedMediaType for
 * another type (and for strategic merge patch on kinds that are not built in), 400 BadRequest
 * for a body that is not a patch, 422 Invalid for a JSON patch that cannot be applied (failed
 * `test`, missing path) and for bad patch options, 409 Conflict for a stale
 * `metadata.resourceVersion` in the patch or an apply conflict, 404 NotFound when the object is
 * missing and the type is not apply. `current` is undefined when the object does not exist;
 * only apply then creates it. The body may be raw (string or bytes) or already parsed. With
 * a fieldManager, non-apply patches record the changed fields in managedFields too. Neither
 * argument is modified. Defaulting and validation of the result are the caller's.
 */
export function applyPatch(
  contentType: string,
  current: KubeObject | undefined,
  patch: unknown,
  ctx: PatchContext,
): KubeObject | SkiffError {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const definition = rootDefinition(ctx.def.group, ctx.def.kind);
  const accepted =
    definition === undefined
      ? patchContentTypes.filter((t) => !t.includes('strategic'))
      : patchContentTypes;
  if (!(accepted as readonly string[]).includes(type))
    return new SkiffError(
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    );
  const isApply = type === 'application/apply-patch+yaml';
  const optionErrors = [
    ...(ctx.force === true && !isApply
      ? [{ field: 'force', message: 'Forbidden: may not be specified for non-apply patch' }]
      : []),
    ...(isApply && (ctx.fieldManager ?? '') === ''
      ? [{ field: 'fieldManager', message: 'Required value: is required for apply patch' }]
      : []),
  ];
  if (optionErrors.length > 0)
    return new SkiffError(
      'Invalid',
      `PatchOptions.meta.k8s.io "" is invalid: ${optionErrors.map((e) => `${e.field}: ${e.message}`).join(', ')}`,
      {
        causes: optionErrors.map((e) => ({
          reason: e.message.startsWith('Required') ? 'FieldValueRequired' : 'FieldValueForbidden',
          message: e.message.replace(/^[^:]+: /, ''),
          field: e.field,
        })),
        details: { group: 'meta.k8s.io', kind: 'PatchOptions' },
      },
    );
  if (current === undefined && !isApply)
    return new SkiffError('NotFound', `${resourceName(ctx)} "${ctx.name ?? ''}" not found`, {
      details: { name: ctx.name ?? '', group: ctx.def.group, kind: ctx.def.plural },
    });

  const body = parseBody(patch, isApply);
  if (body instanceof SkiffError) return body;
  let result: KubeObject | SkiffError;
  try {
    result = isApply
      ? applyConfiguration(current, body, ctx, definition)
      : patchObject(type, current as KubeObject, body, definition);
  } catch (err) {
    if (err instanceof PatchFormatError)
      return err.status === 'BadRequest' ? badRequest(err.message) : invalidRequest(err.message);
    throw err;
  }
  if (result instanceof SkiffError) return result;
  const stale = staleVersion(current, result, ctx);
  if (stale !== undefined) return stale;
  if (
    !isApply &&
    ctx.fieldManager !== undefined &&
    current !== undefined &&
    sameManagedFields(current, result)
  )
    return recordUpdate(current, result, writer(ctx, definition));
  return result;
}

function writer(ctx: PatchContext, definition: string | undefined) {
  return {
    manager: ctx.fieldManager ?? '',
    apiVersion: ctx.def.apiVersion,
    now: ctx.now ?? new Date(),
    ...(ctx.subresource === undefined ? {} : { subresource: ctx.subresource }),
    ...(definition === undefined ? {} : { definition }),
  };
}

function sameManagedFields(a: KubeObject, b: KubeObject): boolean {
  return JSON.stringify(a.metadata?.managedFields) === JSON.stringify(b.metadata?.managedFields);
}

function parseBody(patch: unknown, yaml: boolean): JsonValue | SkiffError {
  if (typeof patch !== 'string' && !(patch instanceof Uint8Array)) return patch as JsonValue;
  const text = typeof patch === 'string' ? patch : Buffer.from(patch).toString('utf8');
  try {
    return (yaml ? parseYaml(text) : JSON.parse(text)) as JsonValue;
  } catch (err) {
    return badRequest(`error decoding patch: ${(err as Error).message}`);
  }
}

function patchObject(
  type: string,
  current: KubeObject,
  body: JsonValue,
  definition: string | undefined,
): KubeObject | SkiffError {
  const object = current as unknown as JsonObject;
  if (type === 'application/json-patch+json') return jsonPatch(object, body);
  if (!isJsonObject(body))
    return badRequest(`the patch must be a JSON object, got ${JSON.stringify(body)}`);
  if (type === 'application/merge-patch+json')
    return mergePatch(object, body) as unknown as KubeObject;
  return strategicMerge(object, body, definition as string) as unknown as KubeObject;
}

/** Errors fast-json-patch raises for a patch that is not a list of operations at all. */
const malformedSequence = new Set(['SEQUENCE_NOT_AN_ARRAY', 'OPERATION_NOT_AN_OBJECT']);

function jsonPatch(object: JsonObject, body: JsonValue): KubeObject | SkiffError {
  if (!Array.isArray(body) || body.some((op) => !isJsonObject(op)))
    return badRequest('json: cannot unmarshal the patch into a list of operations');
  try {
    const { newDocument } = fastJsonPatch.applyPatch(
      structuredClone(object),
      body as unknown as fastJsonPatch.Operation[],
      true,
      true,
      true,
    );
    return newDocument as unknown as KubeObject;
  } catch (err) {
    const name = (err as { name?: string }).name ?? '';
    const message = (err as Error).message.split('\n')[0] ?? '';
    if (malformedSequence.has(name)) return badRequest(message);
    // Kubernetes answers every operation that fails to apply, malformed or not, with a 422.
    return invalidRequest(message);
  }
}

function applyConfiguration(
  current: KubeObject | undefined,
  body: JsonValue,
  ctx: PatchContext,
  definition: string | undefined,
): KubeObject | SkiffError {
  if (!isJsonObject(body)) return badRequest('the applied configuration must be an object');
  const applied = body as unknown as KubeObject;
  if (typeof applied.kind !== 'string' || applied.kind === '')
    return badRequest(`Object 'Kind' is missing in '${JSON.stringify(body)}'`);
  if (applied.kind !== ctx.def.kind || applied.apiVersion !== ctx.def.apiVersion)
    return badRequest(
      `the applied object is ${applied.apiVersion ?? ''}, Kind=${applied.kind}, but this endpoint serves ${ctx.def.apiVersion}, Kind=${ctx.def.kind}`,
    );
  if (applied.metadata?.managedFields !== undefined)
    return badRequest('metadata.managedFields must be nil');
  const name = applied.metadata?.name;
  if (ctx.name !== undefined && name !== undefined && name !== ctx.name)
    return badRequest(
      `the name of the object (${name}) does not match the name on the URL (${ctx.name})`,
    );
  return serverSideApply(current, applied, {
    ...writer(ctx, definition),
    force: ctx.force === true,
    ignoreStatus: ctx.subresource === undefined && (ctx.def.subresources ?? []).includes('status'),
  });
}

/** staleVersion answers 409 when the patch sets a resourceVersion other than the stored one. */
function staleVersion(
  current: KubeObject | undefined,
  result: KubeObject,
  ctx: PatchContext,
): SkiffError | undefined {
  const want = result.metadata?.resourceVersion;
  const have = current?.metadata?.resourceVersion;
  if (want === undefined || have === undefined || want === have) return undefined;
  const name = current?.metadata?.name ?? ctx.name ?? '';
  return new SkiffError(
    'Conflict',
    `Operation cannot be fulfilled on ${resourceName(ctx)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { details: { name, group: ctx.def.group, kind: ctx.def.plural } },
  );
}
