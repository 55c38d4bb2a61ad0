import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinKindRegistry } from './builtin-kinds.ts';
import { parseManifest } from './manifest.ts';
import { formatFieldError } from './validation/field-error.ts';
import { decodeAgainst } from './validation/schema-check.ts';

const seeds = '/work/shared/manifests/seeds';
const registry = builtinKindRegistry();
const files = readdirSync(seeds)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('seed manifests', () => {
  it('are all present', () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
  });

  it.each(files)('%s parses, defaults and validates cleanly', (file) => {
    const text = readFileSync(join(seeds, file), 'utf8');
    const parsed = parseManifest(text);
    expect(parsed.ok && parsed.objects.length).toBe(1);
    if (!parsed.ok) return;
    for (const { object } of parsed.objects) {
      const before = structuredClone(object);
      const def = registry.get(object.apiVersion ?? '', object.kind ?? '');
      expect(def, `${object.apiVersion} ${object.kind} is registered`).toBeDefined();
      if (def === undefined) return;
      expect(decodeAgainst(def.schema, object).unknownFields).toEqual([]);
      const defaulted = def.default(object);
      expect(object).toEqual(before);
      expect(def.validate(defaulted).map(formatFieldError)).toEqual([]);
      if (def.conversion !== undefined) {
        const hub = def.conversion.toHub(defaulted);
        const hubDef = registry.get(def.conversion.hubVersion, def.kind);
        expect(hubDef?.validate(hubDef.default(hub)).map(formatFieldError)).toEqual([]);
        expect(def.conversion.fromHub(hub)).toEqual(defaulted);
      }
    }
  });
});
