import type { AnySchedulerPlugin, PodBinder } from '../../sdk/scheduler.ts';
import { defaultBinder, defaultPreemption } from './binder.ts';
import { interPodAffinity } from './inter-pod-affinity.ts';
import { nodeAffinity } from './node-affinity.ts';
import { nodeName, nodePorts, nodeUnschedulable, prioritySort } from './node-basics.ts';
import { nodeResourcesBalancedAllocation, nodeResourcesFit } from './resources.ts';
import { taintToleration } from './taint-toleration.ts';
import { podTopologySpread } from './topology-spread.ts';

/** defaultPlugins builds every default scheduler plugin; the binder is looked up at bind time. */
export function defaultPlugins(binder: () => PodBinder | undefined): AnySchedulerPlugin[] {
  return [
    prioritySort,
    nodeUnschedulable,
    nodeName,
    taintToleration,
    nodeAffinity,
    nodePorts,
    nodeResourcesFit,
    podTopologySpread,
    interPodAffinity,
    nodeResourcesBalancedAllocation,
    defaultPreemption,
    defaultBinder(binder),
  ];
}
