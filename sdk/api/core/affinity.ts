import type { Static } from '@sinclair/typebox';
import { LabelSelector } from '../meta.ts';
import { arr, int, obj, opt, str } from '../schema-kit.ts';

const NodeSelectorRequirement = obj({ key: str(), operator: str(), values: opt(arr(str())) });

/** NodeSelectorTerm is one ORed term of node affinity. */
export const NodeSelectorTerm = obj({
  matchExpressions: opt(arr(NodeSelectorRequirement)),
  matchFields: opt(arr(NodeSelectorRequirement)),
});

/** NodeSelector is a list of ORed node selector terms. */
export const NodeSelector = obj({ nodeSelectorTerms: arr(NodeSelectorTerm) });

const PodAffinityTerm = obj({
  labelSelector: opt(LabelSelector),
  namespaces: opt(arr(str())),
  topologyKey: str(),
  namespaceSelector: opt(LabelSelector),
  matchLabelKeys: opt(arr(str())),
  mismatchLabelKeys: opt(arr(str())),
});
const WeightedPodAffinityTerm = obj({ weight: int(), podAffinityTerm: PodAffinityTerm });
const PodAffinity = obj({
  requiredDuringSchedulingIgnoredDuringExecution: opt(arr(PodAffinityTerm)),
  preferredDuringSchedulingIgnoredDuringExecution: opt(arr(WeightedPodAffinityTerm)),
});

/** Affinity holds node affinity, pod affinity and pod anti-affinity. */
export const Affinity = obj({
  nodeAffinity: opt(
    obj({
      requiredDuringSchedulingIgnoredDuringExecution: opt(NodeSelector),
      preferredDuringSchedulingIgnoredDuringExecution: opt(
        arr(obj({ weight: int(), preference: NodeSelectorTerm })),
      ),
    }),
  ),
  podAffinity: opt(PodAffinity),
  podAntiAffinity: opt(PodAffinity),
});
export type Affinity = Static<typeof Affinity>;

/** Toleration lets a pod be scheduled onto a node with a matching taint. */
export const Toleration = obj({
  key: opt(str()),
  operator: opt(str()),
  value: opt(str()),
  effect: opt(str()),
  tolerationSeconds: opt(int()),
});
export type Toleration = Static<typeof Toleration>;

/** TopologySpreadConstraint spreads matching pods across topology domains. */
export const TopologySpreadConstraint = obj({
  maxSkew: int(),
  topologyKey: str(),
  whenUnsatisfiable: str(),
  labelSelector: opt(LabelSelector),
  minDomains: opt(int()),
  nodeAffinityPolicy: opt(str()),
  nodeTaintsPolicy: opt(str()),
  matchLabelKeys: opt(arr(str())),
});
export type TopologySpreadConstraint = Static<typeof TopologySpreadConstraint>;

/** Taint marks a node so that pods without a toleration stay away. */
export const Taint = obj({ key: str(), value: opt(str()), effect: str(), timeAdded: opt(str()) });

/**
 * tolerates tells whether a toleration matches a taint, with Kubernetes' rules: an empty key
 * (only valid with Exists) and an empty effect match any; Exists ignores the value.
 */
export function tolerates(
  t: Toleration,
  taint: { readonly key: string; readonly value?: string; readonly effect: string },
): boolean {
  if (t.effect !== undefined && t.effect !== '' && t.effect !== taint.effect) return false;
  if (t.key !== undefined && t.key !== '' && t.key !== taint.key) return false;
  const op = t.operator ?? 'Equal';
  if (op === 'Exists') return true;
  if (op === 'Equal' || op === '') return (t.value ?? '') === (taint.value ?? '');
  return false;
}
