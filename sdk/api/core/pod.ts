import type { Static } from '@sinclair/typebox';
import { ObjectMeta, TypeMeta } from '../meta.ts';
import { arr, bool, int, obj, opt, Quantity, str, strMap, Time } from '../schema-kit.ts';
import { Affinity, Toleration, TopologySpreadConstraint } from './affinity.ts';
import {
  AppArmorProfile,
  Container,
  EphemeralContainer,
  SELinuxOptions,
  SeccompProfile,
  WindowsSecurityContextOptions,
} from './container.ts';
import { Volume } from './volume.ts';

/** PodSecurityContext holds pod-wide security settings. */
export const PodSecurityContext = obj({
  seLinuxOptions: opt(SELinuxOptions),
  windowsOptions: opt(WindowsSecurityContextOptions),
  runAsUser: opt(int()),
  runAsGroup: opt(int()),
  runAsNonRoot: opt(bool()),
  supplementalGroups: opt(arr(int())),
  supplementalGroupsPolicy: opt(str()),
  fsGroup: opt(int()),
  sysctls: opt(arr(obj({ name: str(), value: str() }))),
  fsGroupChangePolicy: opt(str()),
  seccompProfile: opt(SeccompProfile),
  appArmorProfile: opt(AppArmorProfile),
  seLinuxChangePolicy: opt(str()),
});

/** PodDNSConfig adds nameservers, search domains and options to the pod's resolv.conf. */
export const PodDNSConfig = obj({
  nameservers: opt(arr(str())),
  searches: opt(arr(str())),
  options: opt(arr(obj({ name: opt(str()), value: opt(str()) }))),
});

/** PodSpec is the desired state of a pod. */
export const PodSpec = obj({
  volumes: opt(arr(Volume)),
  initContainers: opt(arr(Container)),
  containers: arr(Container),
  ephemeralContainers: opt(arr(EphemeralContainer)),
  restartPolicy: opt(str()),
  terminationGracePeriodSeconds: opt(int()),
  activeDeadlineSeconds: opt(int()),
  dnsPolicy: opt(str()),
  nodeSelector: opt(strMap(str())),
  serviceAccountName: opt(str()),
  serviceAccount: opt(str()),
  automountServiceAccountToken: opt(bool()),
  nodeName: opt(str()),
  hostNetwork: opt(bool()),
  hostPID: opt(bool()),
  hostIPC: opt(bool()),
  shareProcessNamespace: opt(bool()),
  securityContext: opt(PodSecurityContext),
  imagePullSecrets: opt(arr(obj({ name: opt(str()) }))),
  hostname: opt(str()),
  subdomain: opt(str()),
  affinity: opt(Affinity),
  schedulerName: opt(str()),
  tolerations: opt(arr(Toleration)),
  hostAliases: opt(arr(obj({ ip: str(), hostnames: opt(arr(str())) }))),
  priorityClassName: opt(str()),
  priority: opt(int()),
  dnsConfig: opt(PodDNSConfig),
  readinessGates: opt(arr(obj({ conditionType: str() }))),
  runtimeClassName: opt(str()),
  enableServiceLinks: opt(bool()),
  preemptionPolicy: opt(str()),
  overhead: opt(strMap(Quantity)),
  topologySpreadConstraints: opt(arr(TopologySpreadConstraint)),
  setHostnameAsFQDN: opt(bool()),
  os: opt(obj({ name: str() })),
  hostUsers: opt(bool()),
  schedulingGates: opt(arr(obj({ name: str() }))),
  resourceClaims: opt(
    arr(
      obj({
        name: str(),
        resourceClaimName: opt(str()),
        resourceClaimTemplateName: opt(str()),
      }),
    ),
  ),
  resources: opt(obj({ limits: opt(strMap(Quantity)), requests: opt(strMap(Quantity)) })),
});
export type PodSpec = Static<typeof PodSpec>;

const ContainerStateWaiting = obj({ reason: opt(str()), message: opt(str()) });
const ContainerStateRunning = obj({ startedAt: opt(Time) });
const ContainerStateTerminated = obj({
  exitCode: int(),
  signal: opt(int()),
  reason: opt(str()),
  message: opt(str()),
  startedAt: opt(Time),
  finishedAt: opt(Time),
  containerID: opt(str()),
});

/** ContainerState is exactly one of waiting, running or terminated. */
export const ContainerState = obj({
  waiting: opt(ContainerStateWaiting),
  running: opt(ContainerStateRunning),
  terminated: opt(ContainerStateTerminated),
});

/** ContainerStatus is the observed state of one container. */
export const ContainerStatus = obj({
  name: str(),
  state: opt(ContainerState),
  lastState: opt(ContainerState),
  ready: bool(),
  restartCount: int(),
  image: str(),
  imageID: str(),
  containerID: opt(str()),
  started: opt(bool()),
  allocatedResources: opt(strMap(Quantity)),
  resources: opt(obj({ limits: opt(strMap(Quantity)), requests: opt(strMap(Quantity)) })),
  volumeMounts: opt(
    arr(
      obj({
        name: str(),
        mountPath: str(),
        readOnly: opt(bool()),
        recursiveReadOnly: opt(str()),
      }),
    ),
  ),
  user: opt(
    obj({ linux: opt(obj({ uid: int(), gid: int(), supplementalGroups: opt(arr(int())) })) }),
  ),
  allocatedResourcesStatus: opt(
    arr(obj({ name: str(), resources: opt(arr(obj({ resourceID: str(), health: opt(str()) }))) })),
  ),
});
export type ContainerStatus = Static<typeof ContainerStatus>;

/** PodCondition is one condition of a pod (PodScheduled, Initialized, ContainersReady, Ready). */
export const PodCondition = obj({
  type: str(),
  observedGeneration: opt(int()),
  status: str(),
  lastProbeTime: opt(Time),
  lastTransitionTime: opt(Time),
  reason: opt(str()),
  message: opt(str()),
});

const PodIP = obj({ ip: str() });

/** PodStatus is the observed state of a pod. */
export const PodStatus = obj({
  observedGeneration: opt(int()),
  phase: opt(str()),
  conditions: opt(arr(PodCondition)),
  message: opt(str()),
  reason: opt(str()),
  nominatedNodeName: opt(str()),
  hostIP: opt(str()),
  hostIPs: opt(arr(PodIP)),
  podIP: opt(str()),
  podIPs: opt(arr(PodIP)),
  startTime: opt(Time),
  initContainerStatuses: opt(arr(ContainerStatus)),
  containerStatuses: opt(arr(ContainerStatus)),
  qosClass: opt(str()),
  ephemeralContainerStatuses: opt(arr(ContainerStatus)),
  resize: opt(str()),
  resourceClaimStatuses: opt(arr(obj({ name: str(), resourceClaimName: opt(str()) }))),
});
export type PodStatus = Static<typeof PodStatus>;

/** Pod is the smallest deployable unit: containers sharing a sandbox. */
export const Pod = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(PodSpec),
  status: opt(PodStatus),
});
export type Pod = Static<typeof Pod>;

/** PodTemplateSpec is the pod a workload controller stamps out. */
export const PodTemplateSpec = obj({ metadata: opt(ObjectMeta), spec: opt(PodSpec) });
export type PodTemplateSpec = Static<typeof PodTemplateSpec>;
