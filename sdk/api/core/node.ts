import type { Static } from '@sinclair/typebox';
import { ObjectMeta, TypeMeta } from '../meta.ts';
import { arr, bool, FreeForm, int, obj, opt, Quantity, str, strMap, Time } from '../schema-kit.ts';
import { Taint } from './affinity.ts';

/** NodeSpec is the desired state of a node. */
export const NodeSpec = obj({
  podCIDR: opt(str()),
  podCIDRs: opt(arr(str())),
  providerID: opt(str()),
  unschedulable: opt(bool()),
  taints: opt(arr(Taint)),
  configSource: opt(
    obj({
      configMap: opt(
        obj({
          namespace: str(),
          name: str(),
          uid: opt(str()),
          resourceVersion: opt(str()),
          kubeletConfigKey: str(),
        }),
      ),
    }),
  ),
  externalID: opt(str()),
});

/** NodeCondition is one condition of a node (Ready, MemoryPressure, ...). */
export const NodeCondition = obj({
  type: str(),
  status: str(),
  lastHeartbeatTime: opt(Time),
  lastTransitionTime: opt(Time),
  reason: opt(str()),
  message: opt(str()),
});

/** NodeSystemInfo describes the node's software. */
export const NodeSystemInfo = obj({
  machineID: str(),
  systemUUID: str(),
  bootID: str(),
  kernelVersion: str(),
  osImage: str(),
  containerRuntimeVersion: str(),
  kubeletVersion: str(),
  kubeProxyVersion: str(),
  operatingSystem: str(),
  architecture: str(),
  swap: opt(obj({ capacity: opt(int()) })),
});

/** NodeStatus is the observed state of a node. */
export const NodeStatus = obj({
  capacity: opt(strMap(Quantity)),
  allocatable: opt(strMap(Quantity)),
  phase: opt(str()),
  conditions: opt(arr(NodeCondition)),
  addresses: opt(arr(obj({ type: str(), address: str() }))),
  daemonEndpoints: opt(obj({ kubeletEndpoint: opt(obj({ Port: int() })) })),
  nodeInfo: opt(NodeSystemInfo),
  images: opt(arr(obj({ names: opt(arr(str())), sizeBytes: opt(int()) }))),
  volumesInUse: opt(arr(str())),
  volumesAttached: opt(arr(obj({ name: str(), devicePath: str() }))),
  // NodeConfigStatus belongs to the retired dynamic kubelet config; kept as written.
  config: opt(strMap(FreeForm)),
  runtimeHandlers: opt(
    arr(
      obj({
        name: opt(str()),
        features: opt(obj({ recursiveReadOnlyMounts: opt(bool()), userNamespaces: opt(bool()) })),
      }),
    ),
  ),
  features: opt(obj({ supplementalGroupsPolicy: opt(bool()) })),
});

/** Node is a machine that runs pods. */
export const Node = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(NodeSpec),
  status: opt(NodeStatus),
});
export type Node = Static<typeof Node>;
