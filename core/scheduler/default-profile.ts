import type { ProfileConfig } from './framework.ts';

/** defaultSchedulerName is the schedulerName a pod gets when its spec names none. */
export const defaultSchedulerName = 'default-scheduler';

/**
 * defaultProfile is the profile of plugins/scheduler-default with Kubernetes' score weights
 * (TaintToleration 3; NodeAffinity, PodTopologySpread, InterPodAffinity 2; the rest 1).
 */
export function defaultProfile(schedulerName = defaultSchedulerName): ProfileConfig {
  return {
    schedulerName,
    plugins: [
      'PrioritySort',
      'NodeUnschedulable',
      'NodeName',
      { name: 'TaintToleration', weight: 3 },
      { name: 'NodeAffinity', weight: 2 },
      'NodePorts',
      { name: 'NodeResourcesFit', weight: 1 },
      { name: 'PodTopologySpread', weight: 2 },
      { name: 'InterPodAffinity', weight: 2 },
      { name: 'NodeResourcesBalancedAllocation', weight: 1 },
      'DefaultPreemption',
      'DefaultBinder',
    ],
  };
}
