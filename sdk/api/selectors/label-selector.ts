import type { LabelSelector } from '../meta.ts';
import { isLabelValue, isQualifiedName } from '../validation/names.ts';

/** SelectorOperator is an operator of a label requirement, in Kubernetes' spelling. */
export type SelectorOperator =
  | '='
  | '=='
  | '!='
  | 'in'
  | 'notin'
  | 'exists'
  | '!'
  | 'In'
  | 'NotIn'
  | 'Exists'
  | 'DoesNotExist';

/** Requirement is one parsed label requirement. Operators are normalised to the set form. */
export interface Requirement {
  readonly key: string;
  readonly operator: 'in' | 'notin' | 'exists' | '!' | '=' | '==' | '!=';
  readonly values: readonly string[];
}

/** Selector is a parsed label selector: all requirements must hold. `null` selects nothing. */
export interface Selector {
  readonly requirements: readonly Requirement[];
  readonly nothing?: true;
}

/** SelectorResult is a parsed selector or the reason the input is not one. */
export type SelectorResult = { ok: true; selector: Selector } | { ok: false; message: string };

/** everything is the selector that matches every object. */
export const everything: Selector = Object.freeze({ requirements: [] });
/** nothing is the selector that matches no object (a missing selector in a spec). */
export const nothing: Selector = Object.freeze({ requirements: [], nothing: true });

type Token = { kind: 'id' | 'op' | '(' | ')' | ','; text: string; at: number };

function tokenize(input: string): Token[] | string {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] ?? '';
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ kind: c, text: c, at: i });
      i += 1;
    } else if (c === '=' || c === '!') {
      const two = input.slice(i, i + 2);
      const op = two === '==' || two === '!=' ? two : c;
      out.push({ kind: 'op', text: op, at: i });
      i += op.length;
    } else {
      let j = i;
      while (j < input.length && !/[\s(),=!]/.test(input[j] ?? '')) j += 1;
      out.push({ kind: 'id', text: input.slice(i, j), at: i });
      i = j;
    }
  }
  return out;
}

function checkKey(key: string): string | undefined {
  const problems = isQualifiedName(key);
  return problems.length === 0 ? undefined : `invalid label key "${key}": ${problems.join('; ')}`;
}

function checkValue(value: string): string | undefined {
  const problems = isLabelValue(value);
  return problems.length === 0
    ? undefined
    : `invalid label value: "${value}": ${problems.join('; ')}`;
}

/** parseLabelSelector reads the string form (`app=web,tier!=db,env in (a,b),!legacy`). */
export function parseLabelSelector(input: string): SelectorResult {
  const tokens = tokenize(input);
  if (typeof tokens === 'string') return { ok: false, message: tokens };
  const reqs: Requirement[] = [];
  let i = 0;
  const fail = (message: string): SelectorResult => ({
    ok: false,
    message: `unable to parse requirement: ${message}`,
  });
  const at = (t: Token | undefined) => (t === undefined ? 'end of input' : `'${t.text}'`);
  while (i < tokens.length) {
    let t = tokens[i];
    let negated = false;
    if (t?.kind === 'op' && t.text === '!') {
      negated = true;
      i += 1;
      t = tokens[i];
    }
    if (t?.kind !== 'id') return fail(`found ${at(t)}, expected: identifier`);
    const key = t.text;
    const keyProblem = checkKey(key);
    if (keyProblem !== undefined) return fail(keyProblem);
    i += 1;
    const next = tokens[i];
    if (negated || next === undefined || next.kind === ',') {
      reqs.push({ key, operator: negated ? '!' : 'exists', values: [] });
      if (negated && next !== undefined && next.kind !== ',')
        return fail(`found ${at(next)}, expected: ',' or end of input`);
    } else if (next.kind === 'op') {
      i += 1;
      const v = tokens[i];
      let value = '';
      if (v?.kind === 'id') {
        value = v.text;
        i += 1;
      } else if (v !== undefined && v.kind !== ',') {
        return fail(`found ${at(v)}, expected: identifier`);
      }
      if (next.text === '!') return fail(`found '!', expected: '=', '!=', '==', 'in', 'notin'`);
      const valueProblem = checkValue(value);
      if (valueProblem !== undefined) return fail(valueProblem);
      reqs.push({ key, operator: next.text as '=' | '==' | '!=', values: [value] });
    } else if (next.kind === 'id' && (next.text === 'in' || next.text === 'notin')) {
      i += 1;
      if (tokens[i]?.kind !== '(') return fail(`found ${at(tokens[i])}, expected: '('`);
      i += 1;
      if (tokens[i]?.kind === ')')
        return fail(`for 'in', 'notin' operators, values set can't be empty`);
      const values: string[] = [];
      for (;;) {
        const v = tokens[i];
        if (v?.kind === 'id') {
          const valueProblem = checkValue(v.text);
          if (valueProblem !== undefined) return fail(valueProblem);
          values.push(v.text);
          i += 1;
        } else if (v?.kind === ',' || v?.kind === ')') {
          // An empty element between commas is the empty label value, as in Kubernetes.
          values.push('');
        } else {
          return fail(`found ${at(v)}, expected: ',', ')' or identifier`);
        }
        const sep = tokens[i];
        if (sep?.kind === ')') break;
        if (sep?.kind !== ',') return fail(`found ${at(sep)}, expected: ',' or ')'`);
        i += 1;
      }
      i += 1;
      reqs.push({ key, operator: next.text, values: [...new Set(values)].sort() });
    } else {
      return fail(`found ${at(next)}, expected: '=', '!=', '==', 'in', notin'`);
    }
    const sep = tokens[i];
    if (sep === undefined) break;
    if (sep.kind !== ',') return fail(`found ${at(sep)}, expected: ','`);
    i += 1;
    if (i === tokens.length) return fail("found end of input after ',', expected: identifier");
  }
  return { ok: true, selector: { requirements: sortRequirements(reqs) } };
}

function sortRequirements(reqs: Requirement[]): Requirement[] {
  return [...reqs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** labelSelectorFromSpec converts the matchLabels/matchExpressions form; undefined selects nothing. */
export function labelSelectorFromSpec(spec: LabelSelector | undefined | null): SelectorResult {
  if (spec === undefined || spec === null) return { ok: true, selector: nothing };
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(spec.matchLabels ?? {})) {
    const problem = checkKey(key) ?? checkValue(value);
    if (problem !== undefined) return { ok: false, message: problem };
    reqs.push({ key, operator: '=', values: [value] });
  }
  for (const expr of spec.matchExpressions ?? []) {
    const problem = checkKey(expr.key);
    if (problem !== undefined) return { ok: false, message: problem };
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0)
          return {
            ok: false,
            message: `values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty`,
          };
        for (const v of values) {
          const vp = checkValue(v);
          if (vp !== undefined) return { ok: false, message: vp };
        }
        reqs.push({
          key: expr.key,
          operator: expr.operator === 'In' ? 'in' : 'notin',
          values: [...new Set(values)].sort(),
        });
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0)
          return {
            ok: false,
            message: `values: Invalid value: ${JSON.stringify(values)}: values set must be empty for exists and does not exist`,
          };
        reqs.push({
          key: expr.key,
          operator: expr.operator === 'Exists' ? 'exists' : '!',
          values: [],
        });
        break;
      default:
        return {
          ok: false,
          message: `${JSON.stringify(expr.operator)} is not a valid label selector operator`,
        };
    }
  }
  return { ok: true, selector: { requirements: sortRequirements(reqs) } };
}

/** selectorFromLabels is the equality selector that matches exactly these labels (a superset). */
export function selectorFromLabels(labels: Record<string, string>): Selector {
  return {
    requirements: sortRequirements(
      Object.entries(labels).map(([key, value]) => ({
        key,
        operator: '=' as const,
        values: [value],
      })),
    ),
  };
}

function requirementMatches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return has && r.values.includes(value ?? '');
    case '!=':
    case 'notin':
      return !has || !r.values.includes(value ?? '');
    case 'exists':
      return has;
    case '!':
      return !has;
  }
}

/** matchesLabels tells whether a label set satisfies every requirement of the selector. */
export function matchesLabels(
  selector: Selector,
  labels: Record<string, string> | undefined,
): boolean {
  if (selector.nothing === true) return false;
  const set = labels ?? {};
  return selector.requirements.every((r) => requirementMatches(r, set));
}

/** formatLabelSelector prints the canonical string form (requirements sorted by key). */
export function formatLabelSelector(selector: Selector): string {
  return selector.requirements
    .map((r) => {
      switch (r.operator) {
        case 'exists':
          return r.key;
        case '!':
          return `!${r.key}`;
        case 'in':
        case 'notin':
          return `${r.key} ${r.operator} (${r.values.join(',')})`;
        default:
          return `${r.key}${r.operator}${r.values[0] ?? ''}`;
      }
    })
    .join(',');
}

/** isEmptySelector tells whether a selector matches everything. */
export const isEmptySelector = (s: Selector): boolean =>
  s.nothing !== true && s.requirements.length === 0;
