/**
 * The patch shape of the built-in kinds: for each API definition, the fields whose lists merge
 * by key or as sets, the maps and structs that are atomic, and the definition a nested field
 * holds. It mirrors the `patchMergeKey`/`patchStrategy`/`listType` tags of Kubernetes' Go API
 * types, so strategic merge patch, server-side apply and the OpenAPI generator
 * (`x-kubernetes-patch-merge-key`, `x-kubernetes-patch-strategy`, `x-kubernetes-list-type`)
 * all read one source. A field missing here is a plain field: maps merge, lists are atomic.
 */

/** PatchStrategy is the `patchStrategy` tag of a field. */
export type PatchStrategy = 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';

/** FieldPatchInfo is the patch behaviour of one field of a definition. */
export interface FieldPatchInfo {
  /** ref names the definition of the field's value, or of each list item or map value. */
  readonly ref?: string;
  /** patchStrategy is Kubernetes' strategic-merge strategy for the field. */
  readonly patchStrategy?: PatchStrategy;
  /** patchMergeKey is the item field strategic merge patch matches list items by. */
  readonly patchMergeKey?: string;
  /** listType is the server-side apply list type: map (keyed), set (primitives) or atomic. */
  readonly listType?: 'map' | 'set' | 'atomic';
  /** listMapKeys are the keys identifying a list item for server-side apply. */
  readonly listMapKeys?: readonly string[];
  /** mapType atomic makes a map (or struct) one value for apply and merge patch alike. */
  readonly mapType?: 'atomic';
  /** mapOf marks a map whose values have the definition named by ref. */
  readonly mapOf?: boolean;
}

/** DefinitionPatchInfo is the patch behaviour of the fields of one definition. */
export type DefinitionPatchInfo = Readonly<Record<string, FieldPatchInfo>>;

const core = (name: string): string => `io.k8s.api.core.v1.${name}`;
const apps = (name: string): string => `io.k8s.api.apps.v1.${name}`;
const batch = (name: string): string => `io.k8s.api.batch.v1.${name}`;
const meta = (name: string): string => `io.k8s.apimachinery.pkg.apis.meta.v1.${name}`;

const byKey = (key: string, ref?: string, keys: readonly string[] = [key]): FieldPatchInfo => ({
  ...(ref === undefined ? {} : { ref }),
  patchStrategy: 'merge',
  patchMergeKey: key,
  listType: 'map',
  listMapKeys: keys,
});
const atomicList: FieldPatchInfo = { listType: 'atomic' };
const mergedSet: FieldPatchInfo = { patchStrategy: 'merge', listType: 'set' };
const conditions = (ref: string): FieldPatchInfo => byKey('type', ref);
const labelSelector: FieldPatchInfo = { ref: meta('LabelSelector'), mapType: 'atomic' };

/** mergeKeys maps an OpenAPI definition name to the patch behaviour of its fields. */
export const mergeKeys: Readonly<Record<string, DefinitionPatchInfo>> = {
  [meta('ObjectMeta')]: {
    finalizers: mergedSet,
    ownerReferences: byKey('uid', meta('OwnerReference')),
    managedFields: atomicList,
  },
  [meta('LabelSelector')]: { matchExpressions: atomicList },
  [core('PodTemplateSpec')]: {
    metadata: { ref: meta('ObjectMeta') },
    spec: { ref: core('PodSpec') },
  },
  [core('PodSpec')]: {
    volumes: { ...byKey('name', core('Volume')), patchStrategy: 'merge,retainKeys' },
    initContainers: byKey('name', core('Container')),
    containers: byKey('name', core('Container')),
    ephemeralContainers: byKey('name', core('Container')),
    imagePullSecrets: byKey('name'),
    hostAliases: byKey('ip', core('HostAlias')),
    tolerations: atomicList,
    readinessGates: atomicList,
    topologySpreadConstraints: byKey('topologyKey', undefined, [
      'topologyKey',
      'whenUnsatisfiable',
    ]),
    resourceClaims: { ...byKey('name'), patchStrategy: 'merge,retainKeys' },
    schedulingGates: byKey('name'),
    nodeSelector: {},
    dnsConfig: { ref: core('PodDNSConfig') },
  },
  [core('HostAlias')]: { hostnames: atomicList },
  [core('PodDNSConfig')]: { nameservers: atomicList, searches: atomicList, options: atomicList },
  [core('Container')]: {
    ports: byKey('containerPort', undefined, ['containerPort', 'protocol']),
    env: byKey('name'),
    envFrom: atomicList,
    volumeMounts: byKey('mountPath'),
    volumeDevices: byKey('devicePath'),
    resizePolicy: atomicList,
    command: atomicList,
    args: atomicList,
    resources: { ref: core('ResourceRequirements') },
  },
  [core('ResourceRequirements')]: { claims: byKey('name') },
  [core('Volume')]: {},
  [core('PodStatus')]: {
    conditions: conditions(core('PodCondition')),
    podIPs: byKey('ip'),
    hostIPs: byKey('ip'),
    containerStatuses: atomicList,
    initContainerStatuses: atomicList,
    ephemeralContainerStatuses: atomicList,
    resourceClaimStatuses: { ...byKey('name'), patchStrategy: 'merge,retainKeys' },
  },
  [core('Pod')]: { spec: { ref: core('PodSpec') }, status: { ref: core('PodStatus') } },
  [core('Service')]: { spec: { ref: core('ServiceSpec') }, status: { ref: core('ServiceStatus') } },
  [core('ServiceSpec')]: {
    ports: byKey('port', undefined, ['port', 'protocol']),
    selector: { mapType: 'atomic' },
    externalIPs: atomicList,
    clusterIPs: atomicList,
    ipFamilies: atomicList,
    loadBalancerSourceRanges: atomicList,
  },
  [core('ServiceStatus')]: { conditions: conditions(meta('Condition')) },
  [core('Node')]: { spec: { ref: core('NodeSpec') }, status: { ref: core('NodeStatus') } },
  [core('NodeSpec')]: { podCIDRs: mergedSet, taints: atomicList },
  [core('NodeStatus')]: {
    conditions: conditions(core('NodeCondition')),
    addresses: byKey('type'),
    images: atomicList,
    volumesInUse: atomicList,
    volumesAttached: atomicList,
  },
  [core('Namespace')]: {
    spec: { ref: core('NamespaceSpec') },
    status: { ref: core('NamespaceStatus') },
  },
  [core('NamespaceSpec')]: { finalizers: atomicList },
  [core('NamespaceStatus')]: { conditions: conditions(core('NamespaceCondition')) },
  [core('PersistentVolumeClaim')]: { status: { ref: core('PersistentVolumeClaimStatus') } },
  [core('PersistentVolumeClaimStatus')]: {
    conditions: conditions(core('PersistentVolumeClaimCondition')),
  },
  [core('ReplicationController')]: {
    spec: { ref: core('ReplicationControllerSpec') },
    status: { ref: core('ReplicationControllerStatus') },
  },
  [core('ReplicationControllerSpec')]: {
    selector: { mapType: 'atomic' },
    template: { ref: core('PodTemplateSpec') },
  },
  [core('ReplicationControllerStatus')]: {
    conditions: conditions(core('ReplicationControllerCondition')),
  },
  [core('Endpoints')]: { subsets: atomicList },
  [core('PodTemplate')]: { template: { ref: core('PodTemplateSpec') } },
  [apps('Deployment')]: {
    spec: { ref: apps('DeploymentSpec') },
    status: { ref: apps('DeploymentStatus') },
  },
  [apps('DeploymentSpec')]: {
    selector: labelSelector,
    template: { ref: core('PodTemplateSpec') },
    strategy: { patchStrategy: 'retainKeys' },
  },
  [apps('DeploymentStatus')]: { conditions: conditions(apps('DeploymentCondition')) },
  [apps('ReplicaSet')]: {
    spec: { ref: apps('ReplicaSetSpec') },
    status: { ref: apps('ReplicaSetStatus') },
  },
  [apps('ReplicaSetSpec')]: { selector: labelSelector, template: { ref: core('PodTemplateSpec') } },
  [apps('ReplicaSetStatus')]: { conditions: conditions(apps('ReplicaSetCondition')) },
  [apps('DaemonSet')]: {
    spec: { ref: apps('DaemonSetSpec') },
    status: { ref: apps('DaemonSetStatus') },
  },
  [apps('DaemonSetSpec')]: { selector: labelSelector, template: { ref: core('PodTemplateSpec') } },
  [apps('DaemonSetStatus')]: { conditions: conditions(apps('DaemonSetCondition')) },
  [apps('StatefulSet')]: {
    spec: { ref: apps('StatefulSetSpec') },
    status: { ref: apps('StatefulSetStatus') },
  },
  [apps('StatefulSetSpec')]: {
    selector: labelSelector,
    template: { ref: core('PodTemplateSpec') },
    volumeClaimTemplates: atomicList,
  },
  [apps('StatefulSetStatus')]: { conditions: conditions(apps('StatefulSetCondition')) },
  [batch('Job')]: { spec: { ref: batch('JobSpec') }, status: { ref: batch('JobStatus') } },
  [batch('JobSpec')]: { selector: labelSelector, template: { ref: core('PodTemplateSpec') } },
  [batch('JobStatus')]: {
    conditions: { ...conditions(batch('JobCondition')), listType: 'atomic' },
  },
  [batch('JobTemplateSpec')]: {
    metadata: { ref: meta('ObjectMeta') },
    spec: { ref: batch('JobSpec') },
  },
  [batch('CronJob')]: {
    spec: { ref: batch('CronJobSpec') },
    status: { ref: batch('CronJobStatus') },
  },
  [batch('CronJobSpec')]: { jobTemplate: { ref: batch('JobTemplateSpec') } },
  [batch('CronJobStatus')]: { active: atomicList },
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler': {
    spec: { ref: 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec' },
    status: { ref: 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus' },
  },
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec': { metrics: atomicList },
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus': {
    conditions: byKey('type'),
    currentMetrics: atomicList,
  },
  'io.k8s.api.networking.v1.Ingress': { spec: { ref: 'io.k8s.api.networking.v1.IngressSpec' } },
  'io.k8s.api.networking.v1.IngressSpec': { rules: atomicList, tls: atomicList },
};

/** KindPatchRoot names the definition of a built-in kind's top-level object. */
export interface KindPatchRoot {
  /** groups are the API groups serving the kind (older versions may live in another group). */
  readonly groups: readonly string[];
  readonly definition: string;
}

/** Groups that served a kind in older versions, besides its own. */
const formerGroups: Readonly<Record<string, string>> = { Ingress: 'extensions' };

const root = (group: string, pkg: string, kind: string): KindPatchRoot => ({
  groups: formerGroups[kind] === undefined ? [group] : [group, formerGroups[kind]],
  definition: `io.k8s.api.${pkg}.${kind}`,
});

/**
 * kindRoots lists the built-in kinds by kind name with the definition their objects start at;
 * strategic merge patch is served for exactly these kinds, as Kubernetes serves it only for
 * kinds compiled into the server.
 */
export const kindRoots: Readonly<Record<string, KindPatchRoot>> = Object.fromEntries(
  (
    [
      [
        '',
        'core.v1',
        [
          'Pod',
          'Node',
          'Namespace',
          'Service',
          'Endpoints',
          'ConfigMap',
          'Secret',
          'Event',
          'ServiceAccount',
          'PersistentVolume',
          'PersistentVolumeClaim',
          'ReplicationController',
          'PodTemplate',
          'ResourceQuota',
          'LimitRange',
        ],
      ],
      [
        'apps',
        'apps.v1',
        ['Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet', 'ControllerRevision'],
      ],
      ['batch', 'batch.v1', ['Job', 'CronJob']],
      ['autoscaling', 'autoscaling.v2', ['HorizontalPodAutoscaler']],
      ['networking.k8s.io', 'networking.v1', ['Ingress', 'IngressClass']],
      ['storage.k8s.io', 'storage.v1', ['StorageClass']],
      ['coordination.k8s.io', 'coordination.v1', ['Lease']],
      ['node.k8s.io', 'node.v1', ['RuntimeClass']],
      ['discovery.k8s.io', 'discovery.v1', ['EndpointSlice']],
      ['autoscaling', 'autoscaling.v1', ['Scale']],
      ['policy', 'policy.v1', ['PodDisruptionBudget']],
      ['scheduling.k8s.io', 'scheduling.v1', ['PriorityClass']],
      [
        'rbac.authorization.k8s.io',
        'rbac.v1',
        ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'],
      ],
    ] as const
  ).flatMap(([group, pkg, kinds]) => kinds.map((k) => [k, root(group, pkg, k)] as const)),
);

/** objectMetaInfo is the field info every top-level object's `metadata` has. */
const objectMetaInfo: FieldPatchInfo = { ref: meta('ObjectMeta') };

/** fieldInfo returns the patch behaviour of a field of a definition (empty when plain). */
export function fieldInfo(definition: string | undefined, field: string): FieldPatchInfo {
  if (definition === undefined) return {};
  const own = mergeKeys[definition]?.[field];
  if (own !== undefined) return own;
  if (field === 'metadata' && isKindRoot(definition)) return objectMetaInfo;
  return {};
}

function isKindRoot(definition: string): boolean {
  return Object.values(kindRoots).some((r) => r.definition === definition);
}

/** rootDefinition returns the definition a built-in kind starts at, or undefined for others. */
export function rootDefinition(group: string, kind: string): string | undefined {
  const r = kindRoots[kind];
  return r?.groups.includes(group) === true ? r.definition : undefined;
}

/**
 * openApiExtensions returns the `x-kubernetes-*` keys the OpenAPI schema of a field carries for
 * its patch behaviour (merge key, strategy, list type and keys, map type); empty for a plain field.
 */
export function openApiExtensions(info: FieldPatchInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (info.patchMergeKey !== undefined) out['x-kubernetes-patch-merge-key'] = info.patchMergeKey;
  if (info.patchStrategy !== undefined) out['x-kubernetes-patch-strategy'] = info.patchStrategy;
  if (info.listType !== undefined) out['x-kubernetes-list-type'] = info.listType;
  if (info.listType === 'map' && info.listMapKeys !== undefined)
    out['x-kubernetes-list-map-keys'] = [...info.listMapKeys];
  if (info.mapType !== undefined) out['x-kubernetes-map-type'] = info.mapType;
  return out;
}
