import type { TopologySpreadConstraint } from '../../sdk/api/core/affinity.ts';
import {
  labelSelectorFromSpec,
  matchesLabels,
  type Selector,
} from '../../sdk/api/selectors/label-selector.ts';
import {
  type FilterPlugin,
  type NodeInfo,
  type PreFilterPlugin,
  type PreScorePlugin,
  type SchedulingPod,
  type ScorePlugin,
  status,
  success,
} from '../../sdk/scheduler.ts';
import { asPod } from '../../sdk/scheduler-resources.ts';
import { nodeTaints, tolerates } from './helpers.ts';
import { podFitsNodeSelectorAndAffinity } from './node-affinity.ts';
import { namespaceOf } from './pod-terms.ts';

/** topologySpreadReason is Kubernetes' reason for a node that would break maxSkew. */
export const topologySpreadReason = "node(s) didn't match pod topology spread constraints";
/** topologySpreadMissingLabelReason is the reason for a node without the topology key. */
export const topologySpreadMissingLabelReason = `${topologySpreadReason} (missing required label)`;

interface Compiled {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly minDomains: number;
  readonly selector: Selector;
  readonly selfMatch: number;
  /** counts holds matching pods per domain value, every eligible domain present (maybe 0). */
  readonly counts: Map<string, number>;
  min: number;
}

const filterKey = 'PodTopologySpread/preFilter';
const scoreKey = 'PodTopologySpread/preScore';

function compileAll(
  pod: SchedulingPod,
  constraints: readonly TopologySpreadConstraint[],
  nodes: readonly NodeInfo[],
): Compiled[] {
  const ns = namespaceOf(pod);
  const out: Compiled[] = constraints.map((c) => {
    const parsed = labelSelectorFromSpec(c.labelSelector);
    const selector = parsed.ok ? parsed.selector : { requirements: [], nothing: true as const };
    return {
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      minDomains: c.minDomains ?? 1,
      selector,
      selfMatch: matchesLabels(selector, pod.metadata.labels as Record<string, string>) ? 1 : 0,
      counts: new Map(),
      min: 0,
    };
  });
  for (const info of nodes) {
    const labels = info.node.metadata.labels ?? {};
    // Only nodes the pod could go to by its node selector and affinity count (policy Honor).
    if (constraints.some((c) => c.nodeAffinityPolicy !== 'Ignore')) {
      if (!podFitsNodeSelectorAndAffinity(pod, info)) continue;
    }
    // With nodeTaintsPolicy Honor, nodes whose taints the pod does not tolerate do not count.
    if (constraints.some((c) => c.nodeTaintsPolicy === 'Honor') && !toleratesNode(pod, info)) {
      continue;
    }
    if (out.some((c) => labels[c.topologyKey] === undefined)) continue;
    for (const c of out) {
      const domain = labels[c.topologyKey] ?? '';
      let n = c.counts.get(domain) ?? 0;
      for (const other of info.pods) {
        if (namespaceOf(other) !== ns || asPod(other).metadata?.deletionTimestamp) continue;
        if (matchesLabels(c.selector, other.metadata.labels as Record<string, string>)) n += 1;
      }
      c.counts.set(domain, n);
    }
  }
  for (const c of out) {
    let min = Number.POSITIVE_INFINITY;
    for (const n of c.counts.values()) min = Math.min(min, n);
    // Fewer domains than minDomains: the global minimum counts as zero.
    c.min = c.counts.size < c.minDomains || min === Number.POSITIVE_INFINITY ? 0 : min;
  }
  return out;
}

function toleratesNode(pod: SchedulingPod, info: NodeInfo): boolean {
  const tolerations = asPod(pod).spec?.tolerations ?? [];
  return nodeTaints(info.node).every(
    (t) =>
      (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') ||
      tolerations.some((tol) => tolerates(tol, t)),
  );
}

function constraintsOf(pod: SchedulingPod, when: string): TopologySpreadConstraint[] {
  return (asPod(pod).spec?.topologySpreadConstraints ?? []).filter(
    (c) => c.whenUnsatisfiable === when,
  );
}

/**
 * podTopologySpread enforces DoNotSchedule spread constraints (maxSkew over topology domains,
 * minDomains) and prefers the emptier domains for ScheduleAnyway ones.
 */
export const podTopologySpread = {
  name: 'PodTopologySpread',
  preFilter(state, pod, nodes) {
    const hard = constraintsOf(pod, 'DoNotSchedule');
    if (hard.length === 0) return { status: status('Skip') };
    state.write(filterKey, compileAll(pod, hard, nodes));
    return { status: success };
  },
  filter(state, _pod, info) {
    const compiled = state.read<Compiled[]>(filterKey);
    if (compiled === undefined) return status('Error', 'PodTopologySpread: PreFilter did not run');
    const labels = info.node.metadata.labels ?? {};
    for (const c of compiled) {
      const domain = labels[c.topologyKey];
      if (domain === undefined) {
        return status('UnschedulableAndUnresolvable', topologySpreadMissingLabelReason);
      }
      const skew = (c.counts.get(domain) ?? 0) + c.selfMatch - c.min;
      if (skew > c.maxSkew) return status('Unschedulable', topologySpreadReason);
    }
    return success;
  },
  preScore(state, pod, nodes) {
    const soft = constraintsOf(pod, 'ScheduleAnyway');
    if (soft.length === 0) return status('Skip');
    state.write(scoreKey, compileAll(pod, soft, nodes));
    return success;
  },
  score(state, _pod, info) {
    const compiled = state.read<Compiled[]>(scoreKey) ?? [];
    const labels = info.node.metadata.labels ?? {};
    let score = 0;
    for (const c of compiled) {
      const domain = labels[c.topologyKey];
      if (domain !== undefined) score += (c.counts.get(domain) ?? 0) + c.maxSkew - 1;
    }
    return { status: success, score };
  },
  normalizeScore(_state, _pod, scores) {
    // Fewer matching pods in the domain is better: the emptiest node gets 100.
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const s of scores) {
      min = Math.min(min, s.score);
      max = Math.max(max, s.score);
    }
    for (const s of scores) {
      s.score = max > min ? Math.trunc((100 * (max - s.score)) / (max - min)) : 100;
    }
    return success;
  },
} satisfies PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin;
