import { tolerates } from '../../sdk/api/core/affinity.ts';
import { maxNodeScore, type NodeScore, type SchedulingNode } from '../../sdk/scheduler.ts';
import { asNode } from '../../sdk/scheduler-resources.ts';

/** NodeSelectorRequirement is one requirement of a node selector term. */
export interface NodeSelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

/** NodeSelectorTerm is one term of node affinity: all its requirements must hold. */
export interface NodeSelectorTerm {
  readonly matchExpressions?: readonly NodeSelectorRequirement[];
  readonly matchFields?: readonly NodeSelectorRequirement[];
}

function requirementHolds(
  r: NodeSelectorRequirement,
  fields: Readonly<Record<string, string>>,
): boolean {
  const has = Object.hasOwn(fields, r.key);
  const value = fields[r.key];
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(value ?? '');
    case 'NotIn':
      return !has || !values.includes(value ?? '');
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || values.length !== 1) return false;
      const a = Number.parseInt(value ?? '', 10);
      const b = Number.parseInt(values[0] ?? '', 10);
      if (Number.isNaN(a) || Number.isNaN(b)) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** termMatches tells whether a node satisfies one node selector term (an empty term matches nothing). */
export function termMatches(term: NodeSelectorTerm, node: SchedulingNode): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  const nodeFields = { 'metadata.name': node.metadata.name ?? '' };
  return (
    exprs.every((r) => requirementHolds(r, labels)) &&
    fields.every((r) => requirementHolds(r, nodeFields))
  );
}

/** anyTermMatches tells whether a node satisfies at least one term (ORed). */
export function anyTermMatches(terms: readonly NodeSelectorTerm[], node: SchedulingNode): boolean {
  return terms.some((t) => termMatches(t, node));
}

/** Taint is the part of a node taint the scheduler reads. */
export interface TaintLike {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
}

/** tolerates is the sdk's toleration rule, re-exported for the scheduling plugins. */
export { tolerates };

/** nodeTaints lists a node's taints. */
export function nodeTaints(node: SchedulingNode): readonly TaintLike[] {
  return asNode(node).spec?.taints ?? [];
}

/**
 * defaultNormalize maps scores to 0..100 by the highest one, turned round when `reverse`
 * (Kubernetes' DefaultNormalizeScore).
 */
export function defaultNormalize(scores: NodeScore[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) max = Math.max(max, s.score);
  if (max === 0) {
    if (reverse) for (const s of scores) s.score = maxNodeScore;
    return;
  }
  for (const s of scores) {
    const v = Math.trunc((maxNodeScore * s.score) / max);
    s.score = reverse ? maxNodeScore - v : v;
  }
}
