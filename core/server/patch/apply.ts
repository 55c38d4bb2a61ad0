import type { KubeObject } from '../../../sdk/api/meta.ts';
import { SkiffError } from '../../../sdk/errors.ts';
import {
  absent,
  type FieldPath,
  FieldSet,
  fieldsOf,
  keyElement,
  pathString,
  removeAt,
  valueAt,
} from './field-set.ts';
import { deepEqual, isJsonObject, type JsonObject, type JsonValue } from './json-value.ts';
import {
  managedTime,
  type Ownership,
  readOwnership,
  sameWriter,
  type WriterContext,
  writeOwnership,
} from './managed-fields.ts';
import { fieldInfo } from './merge-keys.ts';

/** beforeFirstApply is the manager Kubernetes credits with the fields of an object that had no managedFields. */
export const beforeFirstApply = 'before-first-apply';

/** ApplyOptions are the writer of an apply and whether it takes fields from other managers. */
export interface ApplyOptions extends WriterContext {
  readonly force: boolean;
  /** ignoreStatus leaves `status` out of the applied fields (the main resource of a kind with a status subresource). */
  readonly ignoreStatus?: boolean;
}

/**
 * serverSideApply merges an applied configuration into the live object the way server-side
 * apply does for the common cases. Fields are tracked per manager in managedFields:
 * - a field the same manager applied before and no longer applies is removed, unless another
 *   manager also owns it (or something below it);
 * - a field the applied configuration sets to a value different from the live one while
 *   another manager owns it is a conflict: 409 Conflict in Kubernetes' message form, unless
 *   `force`, which moves the field to this manager;
 * - equal values are shared by both managers.
 * Limits: list items are matched by the key fields the applied item names (a defaulted key
 * such as a port's protocol does not split items); maps and structs are granular unless
 * mergeKeys marks them atomic; lists without a listType are atomic; no schema pruning or
 * version conversion of managedFields happens here.
 */
export function serverSideApply(
  live: KubeObject | undefined,
  applied: KubeObject,
  opts: ApplyOptions,
): KubeObject | SkiffError {
  const config = structuredClone(applied) as unknown as JsonObject;
  if (opts.ignoreStatus === true) delete config.status;
  const appliedSet = fieldsOf(config, opts.definition);
  const entry: Ownership['entry'] = {
    manager: opts.manager,
    operation: 'Apply',
    apiVersion: opts.apiVersion,
    time: managedTime(opts.now),
    fieldsType: 'FieldsV1',
    ...(opts.subresource === undefined ? {} : { subresource: opts.subresource }),
  };
  if (live === undefined) {
    const created = structuredClone(applied);
    writeOwnership(created, [{ entry, fields: appliedSet }]);
    return created;
  }
  const liveJson = live as unknown as JsonObject;
  let owners = readOwnership(live);
  if (owners.length === 0) {
    const everything = fieldsOf(liveJson, opts.definition);
    owners = [
      {
        entry: {
          manager: beforeFirstApply,
          operation: 'Update',
          apiVersion: opts.apiVersion,
          time: managedTime(opts.now),
          fieldsType: 'FieldsV1',
        },
        fields: everything,
      },
    ];
  }
  const previous = owners.find((o) => sameWriter(o.entry, opts, 'Apply'));
  const others = owners.filter((o) => o !== previous);

  const conflicts: { manager: string; entry: Ownership['entry']; path: FieldPath }[] = [];
  for (const path of appliedSet.paths()) {
    if (path.at(-1) === '.') continue;
    if (deepEqual(valueAt(liveJson, path), valueAt(config, path))) continue;
    for (const o of others)
      if (o.fields.has(path)) conflicts.push({ manager: o.entry.manager, entry: o.entry, path });
  }
  if (conflicts.length > 0 && !opts.force) return conflictError(conflicts);
  for (const c of conflicts)
    for (const o of others) if (o.entry === c.entry) o.fields.delete(c.path);

  const result = applyMerge(liveJson, config, opts.definition);
  const dropped = (previous?.fields.paths() ?? []).filter((p) => !appliedSet.has(p));
  // Deepest first, so a removed item is not looked up after its parent went away.
  dropped.sort((a, b) => b.length - a.length);
  for (const path of dropped) {
    if (others.some((o) => o.fields.ownsWithin(path))) continue;
    if (path.at(-1) !== '.' && appliedSet.ownsWithin(path)) continue;
    removeAt(result, path);
    pruneEmptyParents(result, path, [...others.map((o) => o.fields), appliedSet]);
  }
  const kept = others.map((o) => ({ entry: o.entry, fields: prune(o.fields, result) }));
  const object = result as unknown as KubeObject;
  writeOwnership(object, [...kept, { entry, fields: appliedSet }]);
  return object;
}

/** pruneEmptyParents removes maps and lists that a removal left empty, unless someone owns them. */
function pruneEmptyParents(
  object: JsonObject,
  removed: FieldPath,
  owners: readonly FieldSet[],
): void {
  let path = (removed.at(-1) === '.' ? removed.slice(0, -1) : removed).slice(0, -1);
  while (path.length > 0 && path.at(-1)?.startsWith('f:') === true) {
    const value = valueAt(object, path);
    const empty =
      (Array.isArray(value) && value.length === 0) ||
      (isJsonObject(value) && Object.keys(value).length === 0);
    if (!empty || owners.some((o) => o.has(path))) return;
    removeAt(object, path);
    path = path.slice(0, -1);
  }
}

function prune(fields: FieldSet, object: JsonObject): FieldSet {
  return new FieldSet(fields.paths().filter((p) => valueAt(object, p) !== absent));
}

/** applyMerge sets every field of the applied configuration on a copy of the live object. */
function applyMerge(
  live: JsonObject,
  config: JsonObject,
  definition: string | undefined,
): JsonObject {
  const result = structuredClone(live);
  for (const [field, value] of Object.entries(config)) {
    if (value === null) continue;
    const info = fieldInfo(definition, field);
    const current = result[field];
    if (isJsonObject(value) && isJsonObject(current) && info.mapType !== 'atomic') {
      result[field] = applyMerge(current, value, info.ref);
    } else if (
      Array.isArray(value) &&
      Array.isArray(current) &&
      info.listType === 'map' &&
      info.listMapKeys !== undefined
    ) {
      const keys = info.listMapKeys;
      const items = [...current];
      for (const item of value) {
        if (!isJsonObject(item)) continue;
        const element = keyElement(item, keys);
        const at = items.findIndex((i) => valueAt([i], [element]) !== absent);
        if (at >= 0) items[at] = applyMerge(items[at] as JsonObject, item, info.ref);
        else items.push(structuredClone(item));
      }
      result[field] = items;
    } else if (Array.isArray(value) && Array.isArray(current) && info.listType === 'set') {
      const items: JsonValue[] = [...current];
      for (const v of value) if (!items.some((i) => deepEqual(i, v))) items.push(v);
      result[field] = items;
    } else {
      result[field] = structuredClone(value);
    }
  }
  return result;
}

function printManager(entry: Ownership['entry']): string {
  let text = JSON.stringify(entry.manager);
  if (entry.subresource !== undefined && entry.subresource !== '')
    text += ` with subresource ${JSON.stringify(entry.subresource)}`;
  if (entry.operation === 'Update') text += ` using ${entry.apiVersion}`;
  return text;
}

/** conflictError builds the 409 Kubernetes answers an apply that conflicts with other managers. */
function conflictError(conflicts: { entry: Ownership['entry']; path: FieldPath }[]): SkiffError {
  const causes = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.entry)}`,
    field: pathString(c.path),
  }));
  let message: string;
  const [only] = conflicts;
  if (conflicts.length === 1 && only !== undefined) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(only.entry)}: ${pathString(only.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const m = printManager(c.entry);
      byManager.set(m, [...(byManager.get(m) ?? []), `- ${pathString(c.path)}`]);
    }
    const lines = [...byManager.keys()]
      .sort()
      .flatMap((m) => [`conflicts with ${m}:`, ...(byManager.get(m) ?? [])]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new SkiffError('Conflict', message, { causes });
}
