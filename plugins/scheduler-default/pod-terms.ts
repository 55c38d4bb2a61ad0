import type { LabelSelector } from '../../sdk/api/meta.ts';
import {
  labelSelectorFromSpec,
  matchesLabels,
  type Selector,
} from '../../sdk/api/selectors/label-selector.ts';
import type { SchedulingPod } from '../../sdk/scheduler.ts';

/** PodTerm is the part of a pod affinity term the plugins read. */
export interface PodTerm {
  readonly labelSelector?: LabelSelector;
  readonly namespaces?: readonly string[];
  readonly namespaceSelector?: LabelSelector;
  readonly topologyKey: string;
}

/** CompiledTerm is a pod affinity term with its selector parsed and namespaces resolved. */
export interface CompiledTerm {
  readonly selector: Selector;
  /** namespaces the matching pods must be in; undefined means every namespace. */
  readonly namespaces: ReadonlySet<string> | undefined;
  readonly topologyKey: string;
  readonly weight: number;
}

/** namespaceOf is a pod's namespace, "default" when unset. */
export function namespaceOf(pod: SchedulingPod): string {
  return pod.metadata.namespace ?? 'default';
}

/**
 * compileTerm parses a term for a pod in `ownNamespace`. With neither namespaces nor a
 * namespaceSelector the term looks in the pod's own namespace; an empty namespaceSelector means
 * every namespace. A non-empty namespaceSelector needs namespace labels, which the scheduler's
 * snapshot does not hold yet, so only the listed namespaces count then.
 */
export function compileTerm(term: PodTerm, ownNamespace: string, weight = 1): CompiledTerm {
  const parsed = labelSelectorFromSpec(term.labelSelector);
  const selector = parsed.ok ? parsed.selector : { requirements: [], nothing: true as const };
  const listed = term.namespaces ?? [];
  const nsSel = term.namespaceSelector;
  const allNamespaces =
    nsSel !== undefined &&
    Object.keys(nsSel.matchLabels ?? {}).length === 0 &&
    (nsSel.matchExpressions ?? []).length === 0;
  let namespaces: ReadonlySet<string> | undefined;
  if (allNamespaces) namespaces = undefined;
  else if (listed.length === 0 && nsSel === undefined) namespaces = new Set([ownNamespace]);
  else namespaces = new Set(listed);
  return { selector, namespaces, topologyKey: term.topologyKey, weight };
}

/** termMatchesPod tells whether a pod is one a compiled term selects. */
export function termMatchesPod(term: CompiledTerm, pod: SchedulingPod): boolean {
  if (term.namespaces !== undefined && !term.namespaces.has(namespaceOf(pod))) return false;
  return matchesLabels(term.selector, pod.metadata.labels as Record<string, string> | undefined);
}

/** pairKey is the key of one topology domain: `topologyKey=value`. */
export function pairKey(key: string, value: string): string {
  return `${key}\u0000${value}`;
}
