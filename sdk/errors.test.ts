import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ErrorCode, errorCatalogue, grpcCode, isSkiffError, SkiffError } from './errors.ts';

const contributing = readFileSync(new URL('../CONTRIBUTING.md', import.meta.url), 'utf8');

// The rows of the table under "## Error catalogue", keyed by code.
function documentedRows(): Map<string, string[]> {
  const start = contributing.indexOf('\n## Error catalogue\n');
  expect(start, 'CONTRIBUTING.md has no "## Error catalogue" section').toBeGreaterThan(-1);
  const end = contributing.indexOf('\n## ', start + 1);
  const section = contributing.slice(start, end < 0 ? undefined : end);
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    const code = /^`(\w+)`$/.exec(cells[0] ?? '')?.[1];
    if (code) rows.set(code, cells.slice(1));
  }
  return rows;
}

const grpcName = (n: number) => Object.entries(grpcCode).find(([, v]) => v === n)?.[0];

describe('the error catalogue in CONTRIBUTING.md', () => {
  const rows = documentedRows();

  it.each(Object.keys(errorCatalogue))(
    'documents %s with its HTTP status, reason and gRPC code',
    (code) => {
      const spec = errorCatalogue[code as ErrorCode];
      const row = rows.get(code);
      expect(row, `CONTRIBUTING.md's error catalogue has no row for ${code}`).toBeDefined();
      const [http, reason, grpc, when] = row ?? [];
      expect({ http, reason, grpc }).toEqual({
        http: String(spec.http),
        reason: spec.reason,
        grpc: grpcName(spec.grpc),
      });
      expect(when, `say when ${code} happens`).toBeTruthy();
    },
  );

  it('documents no code the catalogue lacks', () => {
    expect([...rows.keys()].filter((code) => !(code in errorCatalogue))).toEqual([]);
  });
});

describe('SkiffError', () => {
  it('carries the code, its spec and the causes', () => {
    const err = new SkiffError('Invalid', 'bad', {
      causes: [{ reason: 'FieldValueRequired', message: 'x is required', field: 'x' }],
    });
    expect(err.spec).toBe(errorCatalogue.Invalid);
    expect(err.causes).toHaveLength(1);
    expect(isSkiffError(err, 'Invalid')).toBe(true);
    expect(isSkiffError(err, 'NotFound')).toBe(false);
  });

  it('is recognized across copies of the sdk by its brand, not its prototype', () => {
    const foreign = Object.assign(new Error('from another copy'), {
      [Symbol.for('skiff.error')]: true,
      code: 'NotFound',
    });
    expect(foreign instanceof SkiffError).toBe(true);
    expect(new Error('plain') instanceof SkiffError).toBe(false);
  });
});
