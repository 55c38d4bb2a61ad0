import type {
  Affinity,
  Toleration,
  TopologySpreadConstraint,
} from '../../sdk/api/core/affinity.ts';
import type { Node } from '../../sdk/api/core/node.ts';
import type { Pod } from '../../sdk/api/core/pod.ts';
import type { CycleState, NodeInfo, SchedulingNode, SchedulingPod } from '../../sdk/scheduler.ts';

// Builders for scheduler tests: small nodes and pods with only the fields a case needs.

/** NodeShape is what a test says about a node. */
export interface NodeShape {
  readonly cpu?: string;
  readonly memory?: string;
  readonly pods?: string;
  readonly labels?: Record<string, string>;
  readonly taints?: Array<{ key: string; value?: string; effect: string }>;
  readonly unschedulable?: boolean;
  readonly extra?: Record<string, string>;
}

/** makeNode builds a Node (4 cpu, 8Gi, 110 pods unless told otherwise). */
export function makeNode(name: string, s: NodeShape = {}): Node & SchedulingNode {
  const allocatable = {
    cpu: s.cpu ?? '4',
    memory: s.memory ?? '8Gi',
    pods: s.pods ?? '110',
    ...s.extra,
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...s.labels } },
    spec: { unschedulable: s.unschedulable, taints: s.taints },
    status: { allocatable, capacity: allocatable },
  };
}

/** PodShape is what a test says about a pod. */
export interface PodShape {
  readonly namespace?: string;
  readonly cpu?: string;
  readonly memory?: string;
  readonly requests?: Record<string, string>;
  readonly labels?: Record<string, string>;
  readonly nodeSelector?: Record<string, string>;
  readonly nodeName?: string;
  readonly affinity?: Affinity;
  readonly tolerations?: Toleration[];
  readonly hostPorts?: number[];
  readonly spread?: TopologySpreadConstraint[];
  readonly priority?: number;
  readonly schedulerName?: string;
  readonly created?: string;
}

/** makePod builds a Pod with one container carrying the requests. */
export function makePod(name: string, s: PodShape = {}): Pod & SchedulingPod {
  const requests: Record<string, string> = { ...s.requests };
  if (s.cpu !== undefined) requests.cpu = s.cpu;
  if (s.memory !== undefined) requests.memory = s.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: s.namespace ?? 'default',
      uid: `uid-${name}`,
      labels: s.labels,
      creationTimestamp: s.created ?? '2026-01-01T00:00:00Z',
    },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'busybox',
          resources: { requests },
          ports: s.hostPorts?.map((p) => ({ containerPort: p, hostPort: p })),
        },
      ],
      nodeSelector: s.nodeSelector,
      nodeName: s.nodeName,
      affinity: s.affinity,
      tolerations: s.tolerations,
      topologySpreadConstraints: s.spread,
      priority: s.priority,
      schedulerName: s.schedulerName,
    },
  };
}

/** nodeInfo builds a bare NodeInfo (no framework sums: plugins add the pods up themselves). */
export function nodeInfo(node: SchedulingNode, pods: SchedulingPod[] = []): NodeInfo {
  return {
    node,
    pods: pods.map((p) => ({ ...p, spec: { ...p.spec, nodeName: node.metadata.name } })),
  };
}

/** newState is an empty CycleState. */
export function newState(): CycleState {
  const m = new Map<string, unknown>();
  return { read: <T>(k: string) => m.get(k) as T | undefined, write: (k, v) => m.set(k, v) };
}
