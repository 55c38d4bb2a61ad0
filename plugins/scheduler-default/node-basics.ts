import {
  type FilterPlugin,
  type QueueSortPlugin,
  type SchedulingPod,
  status,
  success,
} from '../../sdk/scheduler.ts';
import { asPod, podHostPorts, portsConflict } from '../../sdk/scheduler-resources.ts';
import { tolerates } from './helpers.ts';

function created(pod: SchedulingPod): string {
  // RFC 3339 UTC timestamps order as strings, so no parsing per comparison.
  return asPod(pod).metadata?.creationTimestamp ?? '';
}

/** prioritySort orders pending pods by priority, highest first, then by creation time. */
export const prioritySort = {
  name: 'PrioritySort',
  less(a, b) {
    const pa = a.spec?.priority ?? 0;
    const pb = b.spec?.priority ?? 0;
    return pa > pb || (pa === pb && created(a) < created(b));
  },
} satisfies QueueSortPlugin;

/** nodeUnschedulableReason is Kubernetes' reason for a cordoned node. */
export const nodeUnschedulableReason = 'node(s) were unschedulable';

/** nodeUnschedulable keeps pods off cordoned nodes unless they tolerate the unschedulable taint. */
export const nodeUnschedulable = {
  name: 'NodeUnschedulable',
  filter(_state, pod, info) {
    if (info.node.spec?.unschedulable !== true) return success;
    const taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
    if ((asPod(pod).spec?.tolerations ?? []).some((t) => tolerates(t, taint))) return success;
    return status('UnschedulableAndUnresolvable', nodeUnschedulableReason);
  },
} satisfies FilterPlugin;

/** nodeNameReason is Kubernetes' reason for a node other than the one the pod names. */
export const nodeNameReason = "node(s) didn't match the requested node name";

/** nodeName lets a pod that names a node (spec.nodeName) fit only that node. */
export const nodeName = {
  name: 'NodeName',
  filter(_state, pod, info) {
    const wanted = pod.spec?.nodeName;
    if (wanted === undefined || wanted === '' || wanted === info.node.metadata.name) return success;
    return status('UnschedulableAndUnresolvable', nodeNameReason);
  },
} satisfies FilterPlugin;

/** nodePortsReason is Kubernetes' reason for a host port clash. */
export const nodePortsReason = "node(s) didn't have free ports for the requested pod ports";

/** nodePorts keeps a pod off nodes where a host port it asks for is taken. */
export const nodePorts = {
  name: 'NodePorts',
  filter(_state, pod, info) {
    const wanted = podHostPorts(pod);
    if (wanted.length === 0) return success;
    const used = info.usedPorts ?? new Set(info.pods.flatMap((p) => podHostPorts(p)));
    if (wanted.some((w) => portsConflict(w, used))) return status('Unschedulable', nodePortsReason);
    return success;
  },
} satisfies FilterPlugin;
