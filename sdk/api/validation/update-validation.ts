import { isDeepStrictEqual } from 'node:util';
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from '../apps/workloads.ts';
import type { Job } from '../batch/jobs.ts';
import type { ConfigMap, Secret } from '../core/config.ts';
import type { PersistentVolumeClaim } from '../core/persistent-volume.ts';
import type { Pod } from '../core/pod.ts';
import type { Service } from '../core/service.ts';
import type { KubeObject } from '../meta.ts';
import type { ClusterRoleBinding, RoleBinding } from '../rbac/rbac.ts';
import { type FieldError, forbidden, invalid } from './field-error.ts';

const immutable = 'field is immutable';

/** unchanged reports a field whose value changed although it may not. */
export function unchanged(path: string, next: unknown, prev: unknown): FieldError[] {
  return isDeepStrictEqual(next, prev) ? [] : [invalid(path, next ?? null, immutable)];
}

/** validateMetaUpdate checks the metadata fields an update may not change. */
export function validateMetaUpdate(next: KubeObject, prev: KubeObject): FieldError[] {
  const out: FieldError[] = [];
  for (const field of ['name', 'namespace', 'uid', 'creationTimestamp'] as const) {
    const before = prev.metadata?.[field];
    if (before !== undefined)
      out.push(...unchanged(`metadata.${field}`, next.metadata?.[field], before));
  }
  return out;
}

/** validateSelectorUpdate keeps a workload's selector fixed (apps/v1 made it immutable). */
export function validateSelectorUpdate(
  next: Deployment | ReplicaSet | DaemonSet | StatefulSet,
  prev: Deployment | ReplicaSet | DaemonSet | StatefulSet,
): FieldError[] {
  return unchanged('spec.selector', next.spec?.selector, prev.spec?.selector);
}

/** validateStatefulSetUpdate allows only the fields Kubernetes lets a StatefulSet change. */
export function validateStatefulSetUpdate(next: StatefulSet, prev: StatefulSet): FieldError[] {
  const strip = (s: StatefulSet['spec']) => {
    const {
      replicas,
      template,
      updateStrategy,
      minReadySeconds,
      persistentVolumeClaimRetentionPolicy,
      ordinals,
      revisionHistoryLimit,
      ...rest
    } = s ?? ({} as NonNullable<StatefulSet['spec']>);
    return rest;
  };
  return isDeepStrictEqual(strip(next.spec), strip(prev.spec))
    ? []
    : [
        forbidden(
          'spec',
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      ];
}

/** validateJobUpdate keeps a job's selector and pod template fixed. */
export function validateJobUpdate(next: Job, prev: Job): FieldError[] {
  return [
    ...unchanged('spec.selector', next.spec?.selector, prev.spec?.selector),
    ...unchanged('spec.template', next.spec?.template, prev.spec?.template),
    ...unchanged('spec.completionMode', next.spec?.completionMode, prev.spec?.completionMode),
  ];
}

/** validateServiceUpdate keeps the allocated cluster IPs unless the type leaves ClusterIP-based types. */
export function validateServiceUpdate(next: Service, prev: Service): FieldError[] {
  if (next.spec?.type === 'ExternalName' || prev.spec?.type === 'ExternalName') return [];
  const before = prev.spec?.clusterIP;
  if (before === undefined || before === '') return [];
  // An update that leaves clusterIP out keeps the allocated one; only a different value is refused.
  const after = next.spec?.clusterIP;
  return after === undefined || after === '' ? [] : unchanged('spec.clusterIP', after, before);
}

/** validateImmutableDataUpdate refuses changes to an immutable ConfigMap or Secret. */
export function validateImmutableDataUpdate(
  next: ConfigMap | Secret,
  prev: ConfigMap | Secret,
): FieldError[] {
  if (prev.immutable !== true) return [];
  const out: FieldError[] = [];
  if (next.immutable !== true)
    out.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  out.push(
    ...(isDeepStrictEqual(next.data, prev.data)
      ? []
      : [forbidden('data', 'field is immutable when `immutable` is set')]),
  );
  const nb = 'binaryData' in next ? next.binaryData : undefined;
  const pb = 'binaryData' in prev ? prev.binaryData : undefined;
  if (!isDeepStrictEqual(nb, pb))
    out.push(forbidden('binaryData', 'field is immutable when `immutable` is set'));
  return out;
}

/** validateClaimUpdate allows a bound claim to change only its requested resources. */
export function validateClaimUpdate(
  next: PersistentVolumeClaim,
  prev: PersistentVolumeClaim,
): FieldError[] {
  const strip = (s: PersistentVolumeClaim['spec']) => {
    const { resources, volumeName, volumeAttributesClassName, ...rest } = s ?? {};
    return rest;
  };
  return isDeepStrictEqual(strip(next.spec), strip(prev.spec))
    ? []
    : [
        forbidden(
          'spec',
          'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
        ),
      ];
}

/** validateBindingUpdate keeps a binding's roleRef fixed. */
export function validateBindingUpdate(
  next: RoleBinding | ClusterRoleBinding,
  prev: RoleBinding | ClusterRoleBinding,
): FieldError[] {
  return isDeepStrictEqual(next.roleRef, prev.roleRef)
    ? []
    : [invalid('roleRef', next.roleRef, 'cannot change roleRef')];
}

const podUpdateMessage =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** validatePodUpdate allows a pod's spec to change only where Kubernetes allows it. */
export function validatePodUpdate(next: Pod, prev: Pod): FieldError[] {
  const a = next.spec;
  const b = prev.spec;
  if (a === undefined || b === undefined) return [];
  // Start from the old spec, take over what may change, and compare with the new one.
  const allowed = structuredClone(b);
  allowed.containers = b.containers.map((c, i) => ({
    ...c,
    ...(a.containers[i]?.image === undefined ? {} : { image: a.containers[i]?.image }),
  }));
  if (b.initContainers !== undefined)
    allowed.initContainers = b.initContainers.map((c, i) => ({
      ...c,
      ...(a.initContainers?.[i]?.image === undefined
        ? {}
        : { image: a.initContainers?.[i]?.image }),
    }));
  // nodeName may be set once (binding); scheduling gates may only be removed.
  if ((b.nodeName ?? '') === '' && a.nodeName !== undefined) allowed.nodeName = a.nodeName;
  if (a.schedulingGates === undefined) delete allowed.schedulingGates;
  else allowed.schedulingGates = a.schedulingGates;
  for (const field of [
    'activeDeadlineSeconds',
    'terminationGracePeriodSeconds',
    'ephemeralContainers',
  ] as const) {
    if (a[field] === undefined) delete allowed[field];
    else (allowed as Record<string, unknown>)[field] = a[field];
  }
  const out: FieldError[] = [];
  const oldTolerations = b.tolerations ?? [];
  const kept = oldTolerations.every((t) =>
    (a.tolerations ?? []).some((u) => isDeepStrictEqual(t, u)),
  );
  if (!kept)
    out.push(
      forbidden(
        'spec.tolerations',
        'existing toleration can not be modified except its tolerationSeconds',
      ),
    );
  if (a.tolerations === undefined) delete allowed.tolerations;
  else allowed.tolerations = a.tolerations;
  if (!isDeepStrictEqual(allowed, a)) out.push(forbidden('spec', podUpdateMessage));
  return out;
}
