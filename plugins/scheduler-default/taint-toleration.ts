import { type FilterPlugin, type ScorePlugin, status, success } from '../../sdk/scheduler.ts';
import { asPod } from '../../sdk/scheduler-resources.ts';
import { defaultNormalize, nodeTaints, tolerates } from './helpers.ts';

/**
 * taintToleration keeps a pod off nodes with a NoSchedule or NoExecute taint it does not
 * tolerate, and scores nodes lower the more PreferNoSchedule taints the pod does not tolerate.
 */
export const taintToleration = {
  name: 'TaintToleration',
  filter(_state, pod, info) {
    const tolerations = asPod(pod).spec?.tolerations ?? [];
    for (const taint of nodeTaints(info.node)) {
      if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
      if (tolerations.some((t) => tolerates(t, taint))) continue;
      return status(
        'UnschedulableAndUnresolvable',
        `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`,
      );
    }
    return success;
  },
  score(_state, pod, info) {
    // Only tolerations that can apply to PreferNoSchedule count here, as in Kubernetes.
    const tolerations = (asPod(pod).spec?.tolerations ?? []).filter(
      (t) => t.effect === undefined || t.effect === '' || t.effect === 'PreferNoSchedule',
    );
    let count = 0;
    for (const taint of nodeTaints(info.node)) {
      if (taint.effect !== 'PreferNoSchedule') continue;
      if (!tolerations.some((t) => tolerates(t, taint))) count += 1;
    }
    return { status: success, score: count };
  },
  normalizeScore(_state, _pod, scores) {
    defaultNormalize(scores, true);
    return success;
  },
} satisfies FilterPlugin & ScorePlugin;
