import { deepEqual, isJsonObject, type JsonObject, type JsonValue } from './json-value.ts';
import { fieldInfo } from './merge-keys.ts';

/**
 * A FieldPath names one owned field in the element forms of Kubernetes' FieldsV1: `f:<field>`,
 * `k:<json of the item's key fields>` for a keyed list item, `v:<json value>` for a set member,
 * and a final `.` for the item itself.
 */
export type FieldPath = readonly string[];

/** FieldSet is a set of field paths, as one managedFields entry holds them. */
export class FieldSet {
  readonly #paths = new Map<string, FieldPath>();

  constructor(paths: Iterable<FieldPath> = []) {
    for (const p of paths) this.add(p);
  }

  add(path: FieldPath): void {
    this.#paths.set(JSON.stringify(path), path);
  }

  has(path: FieldPath): boolean {
    return this.#paths.has(JSON.stringify(path));
  }

  delete(path: FieldPath): void {
    this.#paths.delete(JSON.stringify(path));
  }

  get size(): number {
    return this.#paths.size;
  }

  paths(): FieldPath[] {
    return [...this.#paths.values()];
  }

  /** ownsWithin tells whether the set holds the path or any path below it. */
  ownsWithin(path: FieldPath): boolean {
    const base = path.at(-1) === '.' ? path.slice(0, -1) : path;
    return this.paths().some((p) => base.every((e, i) => p[i] === e));
  }

  /** toFieldsV1 renders the set in the nested FieldsV1 form stored in managedFields. */
  toFieldsV1(): JsonObject {
    const root: JsonObject = {};
    for (const path of this.paths()) {
      let node = root;
      for (const element of path) {
        let next = node[element];
        if (!isJsonObject(next)) {
          next = {};
          node[element] = next;
        }
        node = next;
      }
    }
    return root;
  }

  /** fromFieldsV1 reads the nested FieldsV1 form; a node with no children is a leaf. */
  static fromFieldsV1(value: unknown): FieldSet {
    const set = new FieldSet();
    const walk = (node: JsonObject, prefix: string[]): void => {
      for (const [element, child] of Object.entries(node)) {
        const path = [...prefix, element];
        if (isJsonObject(child) && Object.keys(child).length > 0) walk(child, path);
        else set.add(path);
      }
    };
    if (isJsonObject(value)) walk(value, []);
    return set;
  }
}

/** Paths a field set never holds: identity and bookkeeping the server owns. */
const unowned = new Set(
  ['apiVersion', 'kind']
    .map((f) => JSON.stringify([`f:${f}`]))
    .concat(
      [
        'name',
        'namespace',
        'uid',
        'resourceVersion',
        'generation',
        'creationTimestamp',
        'selfLink',
        'managedFields',
        'deletionTimestamp',
        'deletionGracePeriodSeconds',
      ].map((f) => JSON.stringify(['f:metadata', `f:${f}`])),
    ),
);

/** keyElement renders the `k:` element of a keyed list item from the key fields it has. */
export function keyElement(item: JsonObject, keys: readonly string[]): string {
  const key: JsonObject = {};
  for (const k of keys) {
    const v = item[k];
    if (v !== undefined) key[k] = v;
  }
  return `k:${JSON.stringify(key)}`;
}

/** fieldsOf lists the fields an object sets, per the list and map types of its definition. */
export function fieldsOf(object: JsonObject, definition: string | undefined): FieldSet {
  const set = new FieldSet();
  const walk = (node: JsonObject, def: string | undefined, prefix: string[]): void => {
    for (const [field, value] of Object.entries(node)) {
      if (value === null) continue;
      const path = [...prefix, `f:${field}`];
      if (unowned.has(JSON.stringify(path))) continue;
      const info = fieldInfo(def, field);
      if (isJsonObject(value) && info.mapType !== 'atomic' && Object.keys(value).length > 0) {
        walk(value, info.mapOf === true ? undefined : info.ref, path);
      } else if (
        Array.isArray(value) &&
        info.listType === 'map' &&
        info.listMapKeys !== undefined
      ) {
        for (const item of value) {
          if (!isJsonObject(item)) continue;
          const itemPath = [...path, keyElement(item, info.listMapKeys)];
          set.add([...itemPath, '.']);
          walk(item, info.ref, itemPath);
        }
      } else if (Array.isArray(value) && info.listType === 'set') {
        for (const item of value) set.add([...path, `v:${JSON.stringify(item)}`]);
      } else {
        set.add(path);
      }
    }
  };
  walk(object, definition, []);
  return set;
}

/** absent is what valueAt returns for a path that leads nowhere. */
export const absent = Symbol('absent');

function keyMatches(item: JsonValue, element: string): boolean {
  const key = JSON.parse(element.slice(2)) as JsonObject;
  return isJsonObject(item) && Object.entries(key).every(([k, v]) => deepEqual(item[k], v));
}

/** valueAt reads the value a field path names in an object. */
export function valueAt(object: JsonValue, path: FieldPath): JsonValue | typeof absent {
  let node: JsonValue = object;
  for (const element of path) {
    if (element === '.') return node;
    if (element.startsWith('f:') && isJsonObject(node) && element.slice(2) in node) {
      node = node[element.slice(2)] as JsonValue;
    } else if (element.startsWith('k:') && Array.isArray(node)) {
      const found: JsonValue | undefined = node.find((i) => keyMatches(i, element));
      if (found === undefined) return absent;
      node = found;
    } else if (element.startsWith('v:') && Array.isArray(node)) {
      const want = JSON.parse(element.slice(2)) as JsonValue;
      if (!node.some((v) => deepEqual(v, want))) return absent;
      node = want;
    } else return absent;
  }
  return node;
}

/** removeAt deletes the field, list item or set member a path names; a missing one is ignored. */
export function removeAt(object: JsonObject, path: FieldPath): void {
  const target = path.at(-1) === '.' ? path.slice(0, -1) : path;
  const parentPath = target.slice(0, -1);
  const last = target.at(-1);
  const parent = valueAt(object, parentPath);
  if (last === undefined || parent === absent) return;
  if (last.startsWith('f:') && isJsonObject(parent)) delete parent[last.slice(2)];
  else if (last.startsWith('k:') && Array.isArray(parent)) {
    const i = parent.findIndex((item) => keyMatches(item, last));
    if (i >= 0) parent.splice(i, 1);
  } else if (last.startsWith('v:') && Array.isArray(parent)) {
    const want = JSON.parse(last.slice(2)) as JsonValue;
    const i = parent.findIndex((v) => deepEqual(v, want));
    if (i >= 0) parent.splice(i, 1);
  }
}

/** pathString renders a field path as Kubernetes prints it in conflicts: `.spec.containers[name="web"].image`. */
export function pathString(path: FieldPath): string {
  let out = '';
  for (const element of path) {
    if (element === '.') continue;
    if (element.startsWith('f:')) out += `.${element.slice(2)}`;
    else if (element.startsWith('v:')) out += `[=${element.slice(2)}]`;
    else if (element.startsWith('k:')) {
      const key = JSON.parse(element.slice(2)) as JsonObject;
      out += `[${Object.entries(key)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    }
  }
  return out;
}
