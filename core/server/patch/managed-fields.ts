import type { KubeObject } from '../../../sdk/api/meta.ts';
import { absent, FieldSet, fieldsOf, valueAt } from './field-set.ts';
import { deepEqual, isJsonObject, type JsonObject } from './json-value.ts';

/** ManagedFieldsEntry is one `metadata.managedFields` entry: who set which fields, and how. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

/** Ownership is a managedFields entry with its fields read into a FieldSet. */
export interface Ownership {
  entry: Omit<ManagedFieldsEntry, 'fieldsV1'>;
  fields: FieldSet;
}

/** WriterContext says who writes an object, through which version and subresource, and when. */
export interface WriterContext {
  readonly manager: string;
  readonly apiVersion: string;
  readonly now: Date;
  readonly subresource?: string;
  /** definition is the object's top-level definition (see kindRoots), for list merge keys. */
  readonly definition?: string;
}

/** managedTime renders a managedFields time: RFC 3339 to the second, as Kubernetes stores it. */
export function managedTime(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

/** readOwnership parses an object's managedFields; malformed entries are skipped. */
export function readOwnership(object: KubeObject | undefined): Ownership[] {
  const raw = object?.metadata?.managedFields;
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((e): Ownership[] => {
    if (!isJsonObject(e) || typeof e.manager !== 'string') return [];
    const { fieldsV1, ...entry } = e as unknown as ManagedFieldsEntry;
    return [{ entry, fields: FieldSet.fromFieldsV1(fieldsV1) }];
  });
}

/** writeOwnership stores ownerships (empty ones dropped) as the object's managedFields. */
export function writeOwnership(object: KubeObject, owners: readonly Ownership[]): void {
  const entries = owners
    .filter((o) => o.fields.size > 0)
    .map((o) => ({ ...o.entry, fieldsV1: o.fields.toFieldsV1() }));
  object.metadata = { ...(object.metadata ?? {}), managedFields: entries };
}

/** sameWriter tells whether an entry belongs to a writer for an operation. */
export function sameWriter(
  entry: Ownership['entry'],
  w: WriterContext,
  operation: string,
): boolean {
  return (
    entry.manager === w.manager &&
    entry.operation === operation &&
    (entry.subresource ?? '') === (w.subresource ?? '') &&
    (operation === 'Apply' || entry.apiVersion === w.apiVersion)
  );
}

/**
 * recordUpdate returns `after` with managedFields updated for a create, update or non-apply
 * patch by `writer`: the writer's Update entry gains every field whose value it set or changed,
 * other managers lose those fields (an update takes ownership without conflicts), and fields the
 * object no longer has leave every entry. `before` is undefined for a create.
 */
export function recordUpdate(
  before: KubeObject | undefined,
  after: KubeObject,
  writer: WriterContext,
): KubeObject {
  const result = structuredClone(after);
  const afterJson = result as unknown as JsonObject;
  const beforeJson = before as unknown as JsonObject | undefined;
  const touched = fieldsOf(afterJson, writer.definition)
    .paths()
    .filter((p) => {
      if (beforeJson === undefined) return true;
      const was = valueAt(beforeJson, p);
      // A list item's own node changes hands only when the item is new, not when a field in it changes.
      if (p.at(-1) === '.') return was === absent;
      return !deepEqual(was, valueAt(afterJson, p));
    });
  const owners = readOwnership(before);
  for (const o of owners) {
    for (const p of o.fields.paths()) if (valueAt(afterJson, p) === absent) o.fields.delete(p);
    for (const p of touched) o.fields.delete(p);
  }
  let mine = owners.find((o) => sameWriter(o.entry, writer, 'Update'));
  if (mine === undefined && touched.length > 0) {
    mine = {
      entry: {
        manager: writer.manager,
        operation: 'Update',
        apiVersion: writer.apiVersion,
        fieldsType: 'FieldsV1',
        ...(writer.subresource === undefined ? {} : { subresource: writer.subresource }),
      },
      fields: new FieldSet(),
    };
    owners.push(mine);
  }
  if (mine !== undefined && touched.length > 0) {
    for (const p of touched) mine.fields.add(p);
    mine.entry.time = managedTime(writer.now);
  }
  writeOwnership(result, owners);
  return result;
}
