import {
  type FilterPlugin,
  type NodeInfo,
  type SchedulingPod,
  type ScorePlugin,
  status,
  success,
} from '../../sdk/scheduler.ts';
import { asPod } from '../../sdk/scheduler-resources.ts';
import { anyTermMatches, defaultNormalize, termMatches } from './helpers.ts';

/** nodeAffinityReason is Kubernetes' reason for a node the pod's selector or affinity rules out. */
export const nodeAffinityReason = "node(s) didn't match Pod's node affinity/selector";

/** podFitsNodeSelectorAndAffinity tells whether a node passes spec.nodeSelector and required node affinity. */
export function podFitsNodeSelectorAndAffinity(pod: SchedulingPod, info: NodeInfo): boolean {
  const labels = info.node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) {
    if (labels[k] !== v) return false;
  }
  const required =
    asPod(pod).spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return required === undefined || anyTermMatches(required.nodeSelectorTerms, info.node);
}

/**
 * nodeAffinity filters on spec.nodeSelector and required node affinity, and scores by the
 * summed weights of the preferred terms a node matches (normalized to 0..100).
 */
export const nodeAffinity = {
  name: 'NodeAffinity',
  filter(_state, pod, info) {
    if (podFitsNodeSelectorAndAffinity(pod, info)) return success;
    return status('UnschedulableAndUnresolvable', nodeAffinityReason);
  },
  score(_state, pod, info) {
    const preferred =
      asPod(pod).spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ??
      [];
    let score = 0;
    for (const p of preferred) {
      if (p.weight !== 0 && termMatches(p.preference, info.node)) score += p.weight;
    }
    return { status: success, score };
  },
  normalizeScore(_state, _pod, scores) {
    defaultNormalize(scores, false);
    return success;
  },
} satisfies FilterPlugin & ScorePlugin;
