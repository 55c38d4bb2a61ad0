import { LineCounter, parseAllDocuments } from 'yaml';
import type { KubeObject } from './meta.ts';

/** ManifestObject is one object of a manifest, with where it came from. */
export interface ManifestObject {
  readonly object: KubeObject;
  /** document is the 1-based index of the YAML document it came from. */
  readonly document: number;
  /** item is the index inside a `List` document, if it came from one. */
  readonly item?: number;
  /** line is the 1-based line the document (or list item) starts on. */
  readonly line: number;
}

/** ManifestResult is every object of a manifest, or the first problem found in it. */
export type ManifestResult =
  | { ok: true; objects: ManifestObject[] }
  | { ok: false; message: string };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function where(document: number, line: number, item?: number): string {
  return item === undefined
    ? `document ${document} (line ${line})`
    : `document ${document} (line ${line}), item ${item}`;
}

function checkTyped(value: unknown, place: string): string | undefined {
  if (!isObject(value))
    return `${place}: expected an object with apiVersion and kind, got ${Array.isArray(value) ? 'a list' : typeof value}`;
  const missing = ['apiVersion', 'kind'].filter(
    (k) => typeof value[k] !== 'string' || value[k] === '',
  );
  if (missing.length > 0)
    return `${place}: ${missing.map((k) => `'${k}'`).join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set`;
  return undefined;
}

/**
 * parseManifest reads YAML (several documents split by `---`) or JSON. Empty documents are
 * skipped, `List` documents are expanded into their items, and every object must name its
 * apiVersion and kind.
 */
export function parseManifest(text: string): ManifestResult {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    // YAML 1.1, as kubectl reads it: `defaultMode: 0644` is octal. Timestamps and base-60
    // numbers (`10:30`) stay strings, as they do for kubectl.
    version: '1.1',
    customTags: (tags) =>
      tags.filter(
        (t) =>
          typeof t === 'string' || (t.tag !== 'tag:yaml.org,2002:timestamp' && t.format !== 'TIME'),
      ),
  });
  const list = Array.isArray(docs) ? docs : [docs];
  const objects: ManifestObject[] = [];
  for (const [i, doc] of list.entries()) {
    const n = i + 1;
    const problem = doc.errors[0];
    if (problem !== undefined) {
      const pos = lines.linePos(problem.pos[0]);
      const reason = problem.message.split('\n')[0] ?? problem.message;
      return {
        ok: false,
        message: `document ${n} at line ${pos.line}, column ${pos.col}: ${reason}`,
      };
    }
    if (doc.contents === null) continue;
    const line = lines.linePos(doc.contents.range?.[0] ?? 0).line;
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    const bad = checkTyped(value, where(n, line));
    if (bad !== undefined) return { ok: false, message: bad };
    const obj = value as KubeObject;
    if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
      for (const [j, item] of (obj.items as unknown[]).entries()) {
        const badItem = checkTyped(item, where(n, line, j));
        if (badItem !== undefined) return { ok: false, message: badItem };
        objects.push({ object: item as KubeObject, document: n, item: j, line });
      }
      continue;
    }
    objects.push({ object: obj, document: n, line });
  }
  return { ok: true, objects };
}
