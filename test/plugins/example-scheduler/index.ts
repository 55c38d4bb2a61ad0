// An example third-party scheduler plugin, loaded by path. It adds a Filter that keeps pods off
// nodes under maintenance and a Score that prefers cheaper nodes, without touching skiff's code:
// a profile lists "Maintenance" and "CheapestFirst" beside the default plugins.
import {
  type CycleState,
  definePlugin,
  type FilterPlugin,
  maxNodeScore,
  type NodeInfo,
  type NodeScore,
  type SchedulingPod,
  type ScorePlugin,
  schedulerPluginExtension,
  status,
  success,
} from '../../../sdk/index.ts';

/** maintenanceReason is what the filter reports for a node under maintenance. */
export const maintenanceReason = 'node(s) were under maintenance';

/** maintenance rules out nodes labelled with the maintenance label set to "true". */
export function maintenance(label: string) {
  return {
    name: 'Maintenance',
    filter(_state: CycleState, _pod: SchedulingPod, info: NodeInfo) {
      const value = info.node.metadata.labels?.[label];
      return value === 'true' ? status('Unschedulable', maintenanceReason) : success;
    },
  } satisfies FilterPlugin;
}

/** cheapestFirst scores nodes by a cost label: the cheapest node gets 100, unlabelled ones 0. */
export function cheapestFirst(label: string) {
  return {
    name: 'CheapestFirst',
    score(_state: CycleState, _pod: SchedulingPod, info: NodeInfo) {
      const cost = Number(info.node.metadata.labels?.[label]);
      // Score the inverse cost now; normalizeScore maps it onto 0..100.
      return { status: success, score: Number.isFinite(cost) && cost > 0 ? 1 / cost : 0 };
    },
    normalizeScore(_state: CycleState, _pod: SchedulingPod, scores: NodeScore[]) {
      const best = Math.max(0, ...scores.map((s) => s.score));
      for (const s of scores)
        s.score = best === 0 ? 0 : Math.round((maxNodeScore * s.score) / best);
      return success;
    },
  } satisfies ScorePlugin;
}

export default definePlugin({
  id: 'example-scheduler',
  version: '1.0.0',
  sdk: '^1.0.0',
  description: 'keeps pods off nodes under maintenance and prefers cheaper nodes',
  provides: ['scheduler-plugin/Maintenance', 'scheduler-plugin/CheapestFirst'],
  register(ctx) {
    const read = (key: string, fallback: string): string => {
      const v = ctx.config[key];
      if (v === undefined) return fallback;
      if (typeof v !== 'string')
        throw new Error(`config.${key} must be a string, not ${JSON.stringify(v)}`);
      return v;
    };
    const m = maintenance(read('maintenanceLabel', 'example.com/maintenance'));
    const c = cheapestFirst(read('costLabel', 'example.com/cost'));
    ctx.provide(schedulerPluginExtension, m.name, m);
    ctx.provide(schedulerPluginExtension, c.name, c);
  },
});
