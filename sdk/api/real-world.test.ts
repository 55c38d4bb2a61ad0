import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtinKindRegistry } from './builtin-kinds.ts';
import { parseManifest } from './manifest.ts';
import { formatFieldError } from './validation/field-error.ts';
import { decodeAgainst } from './validation/schema-check.ts';

const registry = builtinKindRegistry();
const parsed = parseManifest(
  readFileSync(new URL('./fixtures/real-world.yaml', import.meta.url), 'utf8'),
);
if (!parsed.ok) throw new Error(parsed.message);
const cases = parsed.objects.map(
  (o) => [`${o.object.kind} ${o.object.metadata?.name}`, o.object] as const,
);

describe('real-world manifests', () => {
  it('are all read', () => {
    expect(cases.length).toBe(25);
  });

  it.each(cases)('%s decodes without unknown fields and validates cleanly', (_name, object) => {
    const def = registry.get(object.apiVersion ?? '', object.kind ?? '');
    if (def === undefined) throw new Error(`${object.apiVersion} ${object.kind} is not registered`);
    const decoded = decodeAgainst(def.schema, object);
    expect(decoded.unknownFields).toEqual([]);
    expect(def.validate(def.default(decoded.value as typeof object)).map(formatFieldError)).toEqual(
      [],
    );
  });
});
