import {
  type BindPlugin,
  type PodBinder,
  type PostFilterPlugin,
  type Status,
  status,
} from '../../sdk/scheduler.ts';
import { reasonCounts } from './reason-counts.ts';

/** defaultBinder makes the Bind plugin that writes the pod's binding subresource. */
export function defaultBinder(binder: () => PodBinder | undefined) {
  return {
    name: 'DefaultBinder',
    async bind(_state, pod, nodeName) {
      const b = binder();
      if (b === undefined) {
        return status('Error', 'DefaultBinder: no pod binder is registered (core.podBinder)');
      }
      return b.bind(pod, nodeName);
    },
  } satisfies BindPlugin;
}

/** notHelpful and noVictims are Kubernetes' per-node preemption outcomes. */
const notHelpful = 'Preemption is not helpful for scheduling';
const noVictims = 'No preemption victims found for incoming pod';

/**
 * defaultPreemption is the PostFilter that reports what preemption could do. Evicting pods is
 * not implemented yet, so it always answers Unschedulable with Kubernetes' per-node wording:
 * nodes rejected as unresolvable are "not helpful", the others have no victims to offer.
 */
export const defaultPreemption = {
  name: 'DefaultPreemption',
  async postFilter(_state, _pod, filtered) {
    const per: Status[] = [...filtered.values()].map((s) =>
      status(s.code, s.code === 'UnschedulableAndUnresolvable' ? notHelpful : noVictims),
    );
    const msg = `preemption: 0/${filtered.size} nodes are available: ${reasonCounts(per).join(', ')}`;
    return { status: status('Unschedulable', msg) };
  },
} satisfies PostFilterPlugin;
