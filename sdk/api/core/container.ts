import type { Static } from '@sinclair/typebox';
import { arr, bool, IntOrString, int, obj, opt, Quantity, str, strMap } from '../schema-kit.ts';

/** ContainerPort is a port a container listens on. */
export const ContainerPort = obj({
  name: opt(str()),
  hostPort: opt(int()),
  containerPort: int(),
  protocol: opt(str()),
  hostIP: opt(str()),
});
export type ContainerPort = Static<typeof ContainerPort>;

const KeySelector = obj({ name: opt(str()), key: str(), optional: opt(bool()) });

/** EnvVarSource fills an environment variable from a field, resource, ConfigMap or Secret. */
export const EnvVarSource = obj({
  fieldRef: opt(obj({ apiVersion: opt(str()), fieldPath: str() })),
  resourceFieldRef: opt(
    obj({ containerName: opt(str()), resource: str(), divisor: opt(Quantity) }),
  ),
  configMapKeyRef: opt(KeySelector),
  secretKeyRef: opt(KeySelector),
});

/** EnvVar is one environment variable of a container. */
export const EnvVar = obj({ name: str(), value: opt(str()), valueFrom: opt(EnvVarSource) });
export type EnvVar = Static<typeof EnvVar>;

const RefSource = obj({ name: opt(str()), optional: opt(bool()) });

/** EnvFromSource imports every key of a ConfigMap or Secret as variables. */
export const EnvFromSource = obj({
  prefix: opt(str()),
  configMapRef: opt(RefSource),
  secretRef: opt(RefSource),
});

/** ResourceRequirements are a container's requests and limits. */
export const ResourceRequirements = obj({
  limits: opt(strMap(Quantity)),
  requests: opt(strMap(Quantity)),
  claims: opt(arr(obj({ name: str(), request: opt(str()) }))),
});
export type ResourceRequirements = Static<typeof ResourceRequirements>;

/** VolumeMount mounts a pod volume into a container. */
export const VolumeMount = obj({
  name: str(),
  readOnly: opt(bool()),
  recursiveReadOnly: opt(str()),
  mountPath: str(),
  subPath: opt(str()),
  mountPropagation: opt(str()),
  subPathExpr: opt(str()),
});
export type VolumeMount = Static<typeof VolumeMount>;

const HTTPHeader = obj({ name: str(), value: str() });

/** HTTPGetAction is an HTTP probe or hook. */
export const HTTPGetAction = obj({
  path: opt(str()),
  port: IntOrString,
  host: opt(str()),
  scheme: opt(str()),
  httpHeaders: opt(arr(HTTPHeader)),
});
const ExecAction = obj({ command: opt(arr(str())) });
const TCPSocketAction = obj({ port: IntOrString, host: opt(str()) });
const GRPCAction = obj({ port: int(), service: opt(str()) });

/** Probe is a liveness, readiness or startup check. */
export const Probe = obj({
  exec: opt(ExecAction),
  httpGet: opt(HTTPGetAction),
  tcpSocket: opt(TCPSocketAction),
  grpc: opt(GRPCAction),
  initialDelaySeconds: opt(int()),
  timeoutSeconds: opt(int()),
  periodSeconds: opt(int()),
  successThreshold: opt(int()),
  failureThreshold: opt(int()),
  terminationGracePeriodSeconds: opt(int()),
});
export type Probe = Static<typeof Probe>;

/** LifecycleHandler is a postStart or preStop action. */
export const LifecycleHandler = obj({
  exec: opt(ExecAction),
  httpGet: opt(HTTPGetAction),
  tcpSocket: opt(TCPSocketAction),
  sleep: opt(obj({ seconds: int() })),
});

/** SELinuxOptions labels a container for SELinux. */
export const SELinuxOptions = obj({
  user: opt(str()),
  role: opt(str()),
  type: opt(str()),
  level: opt(str()),
});
/** SeccompProfile selects a seccomp profile. */
export const SeccompProfile = obj({ type: str(), localhostProfile: opt(str()) });
/** AppArmorProfile selects an AppArmor profile. */
export const AppArmorProfile = obj({ type: str(), localhostProfile: opt(str()) });
/** WindowsSecurityContextOptions are Windows-only security settings. */
export const WindowsSecurityContextOptions = obj({
  gmsaCredentialSpecName: opt(str()),
  gmsaCredentialSpec: opt(str()),
  runAsUserName: opt(str()),
  hostProcess: opt(bool()),
});

/** SecurityContext is a container's security settings. */
export const SecurityContext = obj({
  capabilities: opt(obj({ add: opt(arr(str())), drop: opt(arr(str())) })),
  privileged: opt(bool()),
  seLinuxOptions: opt(SELinuxOptions),
  windowsOptions: opt(WindowsSecurityContextOptions),
  runAsUser: opt(int()),
  runAsGroup: opt(int()),
  runAsNonRoot: opt(bool()),
  readOnlyRootFilesystem: opt(bool()),
  allowPrivilegeEscalation: opt(bool()),
  procMount: opt(str()),
  seccompProfile: opt(SeccompProfile),
  appArmorProfile: opt(AppArmorProfile),
});

/** Container is one container of a pod (also the shape of init and ephemeral containers). */
export const Container = obj({
  name: str(),
  image: opt(str()),
  command: opt(arr(str())),
  args: opt(arr(str())),
  workingDir: opt(str()),
  ports: opt(arr(ContainerPort)),
  envFrom: opt(arr(EnvFromSource)),
  env: opt(arr(EnvVar)),
  resources: opt(ResourceRequirements),
  resizePolicy: opt(arr(obj({ resourceName: str(), restartPolicy: str() }))),
  restartPolicy: opt(str()),
  volumeMounts: opt(arr(VolumeMount)),
  volumeDevices: opt(arr(obj({ name: str(), devicePath: str() }))),
  livenessProbe: opt(Probe),
  readinessProbe: opt(Probe),
  startupProbe: opt(Probe),
  lifecycle: opt(obj({ postStart: opt(LifecycleHandler), preStop: opt(LifecycleHandler) })),
  terminationMessagePath: opt(str()),
  terminationMessagePolicy: opt(str()),
  imagePullPolicy: opt(str()),
  securityContext: opt(SecurityContext),
  stdin: opt(bool()),
  stdinOnce: opt(bool()),
  tty: opt(bool()),
});
export type Container = Static<typeof Container>;

/** EphemeralContainer is a debugging container added to a running pod. */
export const EphemeralContainer = obj({
  ...Container.properties,
  targetContainerName: opt(str()),
});
