/** FieldRequirement is one term of a field selector (`status.phase=Running`). */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '==' | '!=';
  readonly value: string;
}

/** FieldSelectorResult is a parsed field selector or the reason the input is not one. */
export type FieldSelectorResult =
  | { ok: true; requirements: FieldRequirement[] }
  | { ok: false; message: string };

/** FieldGetter reads a selectable field's value from an object; undefined means "no such field". */
export type FieldGetter<T> = (object: T, field: string) => string | undefined;

function splitTerms(input: string): string[] {
  // Commas split terms unless escaped with a backslash, as in Kubernetes.
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c === '\\' && i + 1 < input.length) {
      cur += c + (input[i + 1] ?? '');
      i += 1;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

function unescapeValue(value: string): string | undefined {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') {
      const n = value[i + 1];
      if (n !== '\\' && n !== ',' && n !== '=') return undefined;
      out += n;
      i += 1;
    } else {
      out += c;
    }
  }
  return out;
}

/** parseFieldSelector reads `a=b,c!=d,e==f`; an empty string selects everything. */
export function parseFieldSelector(input: string): FieldSelectorResult {
  const requirements: FieldRequirement[] = [];
  if (input.trim() === '') return { ok: true, requirements };
  for (const term of splitTerms(input)) {
    const m = /^([^=!\\]*?)(==|!=|=)(.*)$/.exec(term);
    if (m === null)
      return { ok: false, message: `invalid selector: '${input}'; can't understand '${term}'` };
    const [, field = '', op = '=', raw = ''] = m;
    if (field.trim() === '')
      return {
        ok: false,
        message: `invalid selector: '${input}'; field name is empty in '${term}'`,
      };
    const value = unescapeValue(raw);
    if (value === undefined)
      return {
        ok: false,
        message: `invalid selector: '${input}'; invalid escape sequence in '${term}'`,
      };
    requirements.push({ field: field.trim(), operator: op as FieldRequirement['operator'], value });
  }
  return { ok: true, requirements };
}

/** unsupportedFields lists the fields a selector uses that the getter does not know. */
export function unsupportedFields(
  requirements: readonly FieldRequirement[],
  supported: readonly string[],
): string[] {
  return requirements.map((r) => r.field).filter((f) => !supported.includes(f));
}

/** matchesFields tells whether an object satisfies every field requirement. */
export function matchesFields<T>(
  requirements: readonly FieldRequirement[],
  object: T,
  get: FieldGetter<T>,
): boolean {
  return requirements.every((r) => {
    const actual = get(object, r.field) ?? '';
    return r.operator === '!=' ? actual !== r.value : actual === r.value;
  });
}

/** formatFieldSelector prints requirements back to their string form, escaping values. */
export function formatFieldSelector(requirements: readonly FieldRequirement[]): string {
  return requirements
    .map((r) => `${r.field}${r.operator}${r.value.replace(/[\\,=]/g, (c) => `\\${c}`)}`)
    .join(',');
}
