import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../../sdk/api/meta.ts';
import { nodeLease } from '../agent/node.ts';

/** SimNodeSpec is the shape every simulated node shares. */
export interface SimNodeSpec {
  readonly cpu: string;
  readonly memory: string;
  readonly pods: string;
}

/** simRuntimeVersion is what simulated nodes report as containerRuntimeVersion. */
export const simRuntimeVersion = 'sim://0.1.0';

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** simNode is the Node object a simulated node registers (its status is written separately). */
export function simNode(name: string, podCIDR: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.skiff.dev/simulated': 'true',
      },
    },
    spec: { podCIDR, podCIDRs: [podCIDR] },
  } as KubeObject;
}

/** simNodeStatus is a simulated node's status: its capacity, a Ready condition and its info. */
export function simNodeStatus(name: string, hostIP: string, spec: SimNodeSpec): object {
  const resources = { cpu: spec.cpu, memory: spec.memory, pods: spec.pods };
  const t = now();
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: t,
    lastTransitionTime: t,
  });
  return {
    capacity: resources,
    allocatable: resources,
    conditions: [
      condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'simulated'),
      condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'simulated'),
      condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'simulated'),
      condition('Ready', 'True', 'KubeletReady', 'simulated node is ready'),
    ],
    addresses: [
      { type: 'InternalIP', address: hostIP },
      { type: 'Hostname', address: name },
    ],
    nodeInfo: {
      machineID: name,
      systemUUID: name,
      bootID: name,
      kernelVersion: 'sim',
      osImage: 'skiff simulated node',
      containerRuntimeVersion: simRuntimeVersion,
      kubeletVersion: 'v1.32.0-sim',
      kubeProxyVersion: 'v1.32.0-sim',
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  };
}

/** simLease is the Lease a simulated node renews in kube-node-lease: a real node's, shared. */
export function simLease(name: string, durationSeconds: number): KubeObject {
  return nodeLease(name, durationSeconds);
}

interface PodShape {
  spec?: { containers?: { name: string; image?: string }[]; initContainers?: unknown[] };
}

/** runningPodStatus is the status a simulated node writes for a pod it has "started". */
export function runningPodStatus(pod: PodShape, podIP: string, hostIP: string): object {
  const t = now();
  const cond = (type: string) => ({ type, status: 'True', lastTransitionTime: t });
  return {
    phase: 'Running',
    conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map(cond),
    hostIP,
    hostIPs: [{ ip: hostIP }],
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: t,
    containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      containerID: `sim://${randomBytes(32).toString('hex')}`,
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: t } },
    })),
  };
}
