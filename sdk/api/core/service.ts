import type { Static } from '@sinclair/typebox';
import { Condition, ObjectMeta, TypeMeta } from '../meta.ts';
import { arr, bool, IntOrString, int, obj, opt, str, strMap } from '../schema-kit.ts';

/** ServicePort is one port a service exposes. */
export const ServicePort = obj({
  name: opt(str()),
  protocol: opt(str()),
  appProtocol: opt(str()),
  port: int(),
  targetPort: opt(IntOrString),
  nodePort: opt(int()),
});
export type ServicePort = Static<typeof ServicePort>;

/** ServiceSpec is the desired state of a service. */
export const ServiceSpec = obj({
  ports: opt(arr(ServicePort)),
  selector: opt(strMap(str())),
  clusterIP: opt(str()),
  clusterIPs: opt(arr(str())),
  type: opt(str()),
  externalIPs: opt(arr(str())),
  sessionAffinity: opt(str()),
  loadBalancerIP: opt(str()),
  loadBalancerSourceRanges: opt(arr(str())),
  externalName: opt(str()),
  externalTrafficPolicy: opt(str()),
  healthCheckNodePort: opt(int()),
  publishNotReadyAddresses: opt(bool()),
  sessionAffinityConfig: opt(obj({ clientIP: opt(obj({ timeoutSeconds: opt(int()) })) })),
  ipFamilies: opt(arr(str())),
  ipFamilyPolicy: opt(str()),
  allocateLoadBalancerNodePorts: opt(bool()),
  loadBalancerClass: opt(str()),
  internalTrafficPolicy: opt(str()),
  trafficDistribution: opt(str()),
});
export type ServiceSpec = Static<typeof ServiceSpec>;

const PortStatus = obj({ port: int(), protocol: str(), error: opt(str()) });

/** LoadBalancerIngress is one address a load balancer answers on. */
export const LoadBalancerIngress = obj({
  ip: opt(str()),
  hostname: opt(str()),
  ipMode: opt(str()),
  ports: opt(arr(PortStatus)),
});

/** ServiceStatus is the observed state of a service. */
export const ServiceStatus = obj({
  loadBalancer: opt(obj({ ingress: opt(arr(LoadBalancerIngress)) })),
  conditions: opt(arr(Condition)),
});

/** Service gives a stable address to a set of pods. */
export const Service = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(ServiceSpec),
  status: opt(ServiceStatus),
});
export type Service = Static<typeof Service>;

/** ObjectReference points at another object, possibly a field of it. */
export const ObjectReference = obj({
  kind: opt(str()),
  namespace: opt(str()),
  name: opt(str()),
  uid: opt(str()),
  apiVersion: opt(str()),
  resourceVersion: opt(str()),
  fieldPath: opt(str()),
});
export type ObjectReference = Static<typeof ObjectReference>;

const EndpointAddress = obj({
  ip: str(),
  hostname: opt(str()),
  nodeName: opt(str()),
  targetRef: opt(ObjectReference),
});
const EndpointPort = obj({
  name: opt(str()),
  port: int(),
  protocol: opt(str()),
  appProtocol: opt(str()),
});

/** Endpoints lists the addresses behind a service. */
export const Endpoints = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  subsets: opt(
    arr(
      obj({
        addresses: opt(arr(EndpointAddress)),
        notReadyAddresses: opt(arr(EndpointAddress)),
        ports: opt(arr(EndpointPort)),
      }),
    ),
  ),
});
export type Endpoints = Static<typeof Endpoints>;
