import {
  type FilterPlugin,
  type NodeInfo,
  nodesWithRequiredAntiAffinityKey,
  type PreFilterPlugin,
  type PreScorePlugin,
  type SchedulingPod,
  type ScorePlugin,
  status,
  success,
} from '../../sdk/scheduler.ts';
import { asPod } from '../../sdk/scheduler-resources.ts';
import {
  type CompiledTerm,
  compileTerm,
  namespaceOf,
  pairKey,
  termMatchesPod,
} from './pod-terms.ts';

/** Kubernetes' reasons for the three inter-pod rules. */
export const podAffinityReason = "node(s) didn't match pod affinity rules";
/** podAntiAffinityReason is the reason for the incoming pod's own anti-affinity. */
export const podAntiAffinityReason = "node(s) didn't match pod anti-affinity rules";
/** existingAntiAffinityReason is the reason for anti-affinity of pods already placed. */
export const existingAntiAffinityReason =
  "node(s) didn't satisfy existing pods anti-affinity rules";

const stateKey = 'InterPodAffinity/preFilter';
const scoreKey = 'InterPodAffinity/preScore';

interface PreFilterState {
  readonly affinity: readonly CompiledTerm[];
  readonly anti: readonly CompiledTerm[];
  readonly affinityCounts: Map<string, number>;
  readonly antiCounts: Map<string, number>;
  readonly existingAnti: Map<string, number>;
  readonly nodes: readonly NodeInfo[];
}

function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

function labelsOf(info: NodeInfo): Readonly<Record<string, string>> {
  return info.node.metadata.labels ?? {};
}

function requiredTerms(pod: SchedulingPod, kind: 'podAffinity' | 'podAntiAffinity') {
  const terms =
    asPod(pod).spec?.affinity?.[kind]?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  return terms.map((t) => compileTerm(t, namespaceOf(pod)));
}

function antiPodsOn(info: NodeInfo): readonly SchedulingPod[] {
  return (
    info.podsWithRequiredAntiAffinity ??
    info.pods.filter((p) => requiredTerms(p, 'podAntiAffinity').length > 0)
  );
}

/**
 * interPodAffinity enforces required pod affinity and anti-affinity (the incoming pod's, and
 * that of pods already placed against it) by topology domain, and scores by the incoming pod's
 * preferred terms.
 */
export const interPodAffinity = {
  name: 'InterPodAffinity',
  preFilter(state, pod, nodes) {
    const affinity = requiredTerms(pod, 'podAffinity');
    const anti = requiredTerms(pod, 'podAntiAffinity');
    const existingAnti = new Map<string, number>();
    // The framework's list of nodes with anti-affinity pods, when it keeps one: usually few.
    const antiNodes = state.read<readonly NodeInfo[]>(nodesWithRequiredAntiAffinityKey) ?? nodes;
    for (const info of antiNodes) {
      if (info.podsWithRequiredAntiAffinity?.length === 0) continue;
      const labels = labelsOf(info);
      for (const other of antiPodsOn(info)) {
        for (const t of requiredTerms(other, 'podAntiAffinity')) {
          const v = labels[t.topologyKey];
          if (v !== undefined && termMatchesPod(t, pod))
            bump(existingAnti, pairKey(t.topologyKey, v));
        }
      }
    }
    const affinityCounts = new Map<string, number>();
    const antiCounts = new Map<string, number>();
    if (affinity.length > 0 || anti.length > 0) {
      for (const info of nodes) {
        const labels = labelsOf(info);
        for (const other of info.pods) {
          if (affinity.length > 0 && affinity.every((t) => termMatchesPod(t, other))) {
            for (const t of affinity) {
              const v = labels[t.topologyKey];
              if (v !== undefined) bump(affinityCounts, pairKey(t.topologyKey, v));
            }
          }
          for (const t of anti) {
            const v = labels[t.topologyKey];
            if (v !== undefined && termMatchesPod(t, other))
              bump(antiCounts, pairKey(t.topologyKey, v));
          }
        }
      }
    }
    state.write<PreFilterState>(stateKey, {
      affinity,
      anti,
      affinityCounts,
      antiCounts,
      existingAnti,
      nodes,
    });
    if (affinity.length === 0 && anti.length === 0 && existingAnti.size === 0) {
      return { status: status('Skip') };
    }
    return { status: success };
  },
  filter(state, pod, info) {
    const s = state.read<PreFilterState>(stateKey);
    if (s === undefined) return status('Error', 'InterPodAffinity: PreFilter did not run');
    const labels = labelsOf(info);
    for (const key of s.existingAnti.keys()) {
      const [tk = '', v] = key.split('\u0000');
      if (labels[tk] === v) return status('Unschedulable', existingAntiAffinityReason);
    }
    for (const t of s.anti) {
      const v = labels[t.topologyKey];
      if (v !== undefined && (s.antiCounts.get(pairKey(t.topologyKey, v)) ?? 0) > 0) {
        return status('Unschedulable', podAntiAffinityReason);
      }
    }
    if (s.affinity.length > 0) {
      const fits = s.affinity.every((t) => {
        const v = labels[t.topologyKey];
        return v !== undefined && (s.affinityCounts.get(pairKey(t.topologyKey, v)) ?? 0) > 0;
      });
      if (!fits) {
        // The first pod of a group that selects itself may go anywhere with the topology keys.
        const firstOfGroup =
          s.affinityCounts.size === 0 &&
          s.affinity.every((t) => termMatchesPod(t, pod) && labels[t.topologyKey] !== undefined);
        if (!firstOfGroup) return status('UnschedulableAndUnresolvable', podAffinityReason);
      }
    }
    return success;
  },
  preScore(state, pod) {
    const aff = asPod(pod).spec?.affinity;
    const terms: CompiledTerm[] = [];
    for (const w of aff?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      terms.push(compileTerm(w.podAffinityTerm, namespaceOf(pod), w.weight));
    }
    for (const w of aff?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      terms.push(compileTerm(w.podAffinityTerm, namespaceOf(pod), -w.weight));
    }
    if (terms.length === 0) return status('Skip');
    const nodes = state.read<PreFilterState>(stateKey)?.nodes ?? [];
    const byPair = new Map<string, number>();
    for (const info of nodes) {
      const labels = labelsOf(info);
      for (const other of info.pods) {
        for (const t of terms) {
          const v = labels[t.topologyKey];
          if (v !== undefined && termMatchesPod(t, other))
            bump(byPair, pairKey(t.topologyKey, v), t.weight);
        }
      }
    }
    state.write(scoreKey, { terms, byPair });
    return success;
  },
  score(state, _pod, info) {
    const s = state.read<{ terms: CompiledTerm[]; byPair: Map<string, number> }>(scoreKey);
    if (s === undefined) return { status: success, score: 0 };
    const labels = labelsOf(info);
    let score = 0;
    const seen = new Set<string>();
    for (const t of s.terms) {
      const v = labels[t.topologyKey];
      if (v === undefined) continue;
      const key = pairKey(t.topologyKey, v);
      if (seen.has(key)) continue;
      seen.add(key);
      score += s.byPair.get(key) ?? 0;
    }
    return { status: success, score };
  },
  normalizeScore(_state, _pod, scores) {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const s of scores) {
      min = Math.min(min, s.score);
      max = Math.max(max, s.score);
    }
    for (const s of scores) {
      s.score = max > min ? Math.trunc((100 * (s.score - min)) / (max - min)) : 0;
    }
    return success;
  },
} satisfies PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin;
