import {
  deepEqual,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  PatchFormatError,
} from './json-value.ts';
import { type FieldPatchInfo, fieldInfo } from './merge-keys.ts';

const patchDirective = '$patch';
const retainKeysDirective = '$retainKeys';
const setElementOrderPrefix = '$setElementOrder/';
const deleteFromPrimitiveListPrefix = '$deleteFromPrimitiveList/';
/** deleted marks a map that a `$patch: delete` directive removes. */
const deleted = Symbol('deleted');

const bad = (message: string): PatchFormatError => new PatchFormatError('BadRequest', message);
const invalid = (message: string): PatchFormatError => new PatchFormatError('Invalid', message);

/**
 * strategicMerge applies a Kubernetes strategic merge patch to an object whose top-level
 * definition is `definition` (see mergeKeys). Lists with a merge key merge item by item, lists
 * with the merge strategy and no key merge as sets, other lists are replaced; maps merge and
 * null deletes. The directives `$patch` (replace, merge, delete), `$retainKeys`,
 * `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>` are obeyed and never stored.
 * A bad patch throws PatchFormatError.
 */
export function strategicMerge(
  original: JsonObject,
  patch: JsonObject,
  definition: string,
): JsonObject {
  const merged = mergeMap(original, patch, definition);
  return merged === deleted ? {} : merged;
}

function mergeMap(
  original: JsonObject,
  patch: JsonObject,
  definition: string | undefined,
): JsonObject | typeof deleted {
  const directive = patch[patchDirective];
  if (directive !== undefined) {
    if (directive === 'delete') return deleted;
    if (directive === 'replace')
      return stripDirectives(withoutKey(patch, patchDirective), definition) as JsonObject;
    if (directive !== 'merge')
      throw bad(`unknown patch type: ${String(directive)} in map: ${JSON.stringify(patch)}`);
  }
  const result = structuredClone(original);
  const retain = patch[retainKeysDirective];
  if (retain !== undefined) {
    if (!Array.isArray(retain) || !retain.every((k) => typeof k === 'string'))
      throw bad('invalid patch format of retainKeys');
    // A key the patch deletes (null) need not be retained; kubectl sends such keys.
    for (const [key, value] of Object.entries(patch))
      if (!key.startsWith('$') && value !== null && !retain.includes(key))
        throw invalid("patch content doesn't match retainKeys list");
    for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key];
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key === patchDirective || key === retainKeysDirective) continue;
    if (key.startsWith(setElementOrderPrefix)) {
      const list = key.slice(setElementOrderPrefix.length);
      // An order given without the list reorders what is stored.
      if (!(list in patch) && Array.isArray(result[list]))
        result[list] = reorder(result[list], value, fieldInfo(definition, list));
      continue;
    }
    if (key.startsWith(deleteFromPrimitiveListPrefix)) {
      const list = key.slice(deleteFromPrimitiveListPrefix.length);
      if (!Array.isArray(value) || value.some((v) => typeof v === 'object' && v !== null))
        throw bad('invalid patch format of primitive list');
      const current = result[list];
      if (Array.isArray(current))
        result[list] = current.filter((v) => !value.some((d) => deepEqual(d, v)));
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    const info = fieldInfo(definition, key);
    if (Array.isArray(value)) {
      result[key] = mergeList(result[key], value, info, patch[`${setElementOrderPrefix}${key}`]);
    } else if (isJsonObject(value)) {
      const base = result[key];
      const merged = mergeMap(isJsonObject(base) ? base : {}, value, info.ref);
      if (merged === deleted) delete result[key];
      else result[key] = merged;
    } else {
      result[key] = value;
    }
  }
  return result;
}

function mergeList(
  original: JsonValue | undefined,
  patch: JsonValue[],
  info: FieldPatchInfo,
  order: JsonValue | undefined,
): JsonValue[] {
  if (patch.some(Array.isArray)) throw invalid('lists of lists are not supported');
  const merges = info.patchStrategy === 'merge' || info.patchStrategy === 'merge,retainKeys';
  const replaceAll = patch.some(
    (p) => isJsonObject(p) && p[patchDirective] === 'replace' && Object.keys(p).length === 1,
  );
  if (!merges || replaceAll) {
    const items = patch.filter(
      (p) => !(isJsonObject(p) && p[patchDirective] !== undefined && Object.keys(p).length === 1),
    );
    return items.map((p) => stripDirectives(p, info.ref));
  }
  const items = Array.isArray(original) ? structuredClone(original) : [];
  const key = info.patchMergeKey;
  if (key === undefined) {
    for (const value of patch) {
      if (typeof value === 'object' && value !== null)
        throw bad('invalid patch format of primitive list');
      if (!items.some((v) => deepEqual(v, value))) items.push(value);
    }
  } else {
    for (const item of patch) mergeKeyedItem(items, item, key, info.ref);
  }
  return order === undefined ? items : reorder(items, order, info);
}

function mergeKeyedItem(
  items: JsonValue[],
  item: JsonValue,
  key: string,
  ref: string | undefined,
): void {
  if (!isJsonObject(item))
    throw bad(`list item ${JSON.stringify(item)} is not a map, but its list merges by key ${key}`);
  const keyValue = item[key];
  if (keyValue === undefined)
    throw bad(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
  const at = items.findIndex((i) => isJsonObject(i) && deepEqual(i[key], keyValue));
  if (item[patchDirective] === 'delete') {
    for (let i = items.length - 1; i >= 0; i--) {
      const candidate = items[i];
      if (isJsonObject(candidate) && deepEqual(candidate[key], keyValue)) items.splice(i, 1);
    }
    return;
  }
  const base = at >= 0 ? (items[at] as JsonObject) : {};
  const merged = mergeMap(base, item, ref);
  if (merged === deleted) {
    if (at >= 0) items.splice(at, 1);
  } else if (at >= 0) items[at] = merged;
  else items.push(merged);
}

/**
 * reorder puts the items named by a `$setElementOrder` list in that order. Items the order does
 * not name (present only on the server) keep their places; the named ones fill the remaining
 * places in the given order.
 */
function reorder(
  items: JsonValue[],
  order: JsonValue | undefined,
  info: FieldPatchInfo,
): JsonValue[] {
  if (!Array.isArray(order)) throw bad('invalid patch format of setElementOrder list');
  const key = info.patchMergeKey;
  const identity = (v: JsonValue): string => {
    if (key === undefined) return JSON.stringify(v);
    if (!isJsonObject(v)) throw bad('invalid patch format of setElementOrder list');
    return JSON.stringify(v[key] ?? null);
  };
  const wanted = order.map(identity);
  const rank = (v: JsonValue): number =>
    key !== undefined && !isJsonObject(v) ? -1 : wanted.indexOf(identity(v));
  const slots = items.flatMap((v, i) => (rank(v) >= 0 ? [i] : []));
  const named = slots.map((i) => items[i] as JsonValue).sort((a, b) => rank(a) - rank(b));
  const result = [...items];
  slots.forEach((slot, n) => {
    result[slot] = named[n] as JsonValue;
  });
  return result;
}

/** stripDirectives removes every directive from a value that is stored as given. */
function stripDirectives(value: JsonValue, definition: string | undefined): JsonValue {
  if (Array.isArray(value)) return value.map((v) => stripDirectives(v, definition));
  if (!isJsonObject(value)) return value;
  const merged = mergeMap({}, value, definition);
  return merged === deleted ? {} : merged;
}

function withoutKey(object: JsonObject, key: string): JsonObject {
  const { [key]: _, ...rest } = object;
  return rest;
}
