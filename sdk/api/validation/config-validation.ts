import type { ControllerRevision } from '../apps/workloads.ts';
import type { Lease } from '../cluster/lease.ts';
import type { RuntimeClass } from '../cluster/runtime-class.ts';
import type { ConfigMap, Namespace, Secret, ServiceAccount } from '../core/config.ts';
import type { Event } from '../core/event.ts';
import type { Node } from '../core/node.ts';
import type { PersistentVolume, PersistentVolumeClaim } from '../core/persistent-volume.ts';
import { legacySources } from '../core/volume.ts';
import type { StorageClass } from '../storage/storage-class.ts';
import { nonNegative, oneOf, validateResourceList } from './common.ts';
import {
  duplicate,
  type FieldError,
  fieldPath,
  invalid,
  keyPath,
  required,
  tooLong,
} from './field-error.ts';
import { validateLabelSelector } from './meta-validation.ts';
import { isConfigMapKey, isDnsLabel, isQualifiedName } from './names.ts';

/** configMapMaxBytes is the size limit of ConfigMap and Secret data (1 MiB). */
export const configMapMaxBytes = 1024 * 1024;
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function validateDataKeys(
  maps: [string, Record<string, string> | undefined][],
  base64Fields: Set<string>,
): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  let size = 0;
  for (const [field, map] of maps) {
    for (const [key, value] of Object.entries(map ?? {})) {
      for (const m of isConfigMapKey(key)) out.push(invalid(keyPath(field, key), key, m));
      if (seen.has(key)) out.push(duplicate(keyPath(field, key), key));
      seen.add(key);
      if (base64Fields.has(field) && !base64.test(value))
        out.push(invalid(keyPath(field, key), '<value omitted>', 'illegal base64 data'));
      size += value.length;
    }
  }
  if (size > configMapMaxBytes) out.push(tooLong('', configMapMaxBytes));
  return out;
}

/** validateConfigMap checks the keys and size of a ConfigMap. */
export function validateConfigMap(cm: ConfigMap): FieldError[] {
  return validateDataKeys(
    [
      ['data', cm.data],
      ['binaryData', cm.binaryData],
    ],
    new Set(['binaryData']),
  );
}

const secretTypes: Record<string, string[]> = {
  'kubernetes.io/service-account-token': [],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
};

/** validateSecret checks the keys, encoding and type-specific keys of a Secret. */
export function validateSecret(secret: Secret): FieldError[] {
  const out = validateDataKeys([['data', secret.data]], new Set(['data']));
  const needed = secretTypes[secret.type ?? 'Opaque'] ?? [];
  const keys = new Set([
    ...Object.keys(secret.data ?? {}),
    ...Object.keys(secret.stringData ?? {}),
  ]);
  for (const key of needed) if (!keys.has(key)) out.push(required(keyPath('data', key)));
  if (
    secret.type === 'kubernetes.io/service-account-token' &&
    secret.metadata?.annotations?.['kubernetes.io/service-account.name'] === undefined
  )
    out.push(required('metadata.annotations[kubernetes.io/service-account.name]'));
  return out;
}

/** validateNamespace checks a Namespace's finalizers. */
export function validateNamespace(ns: Namespace): FieldError[] {
  const out: FieldError[] = [];
  (ns.spec?.finalizers ?? []).forEach((f, i) => {
    for (const m of isQualifiedName(f)) out.push(invalid(fieldPath('spec.finalizers', i), f, m));
  });
  out.push(...oneOf('status.phase', ns.status?.phase, ['Active', 'Terminating']));
  return out;
}

/** validateServiceAccount has no rules beyond metadata. */
export const validateServiceAccount = (_sa: ServiceAccount): FieldError[] => [];

/** validateNode checks taints and capacities of a Node. */
export function validateNode(node: Node): FieldError[] {
  const out: FieldError[] = [];
  (node.spec?.taints ?? []).forEach((t, i) => {
    const p = fieldPath('spec.taints', i);
    for (const m of isQualifiedName(t.key)) out.push(invalid(fieldPath(p, 'key'), t.key, m));
    out.push(
      ...oneOf(fieldPath(p, 'effect'), t.effect, ['NoExecute', 'NoSchedule', 'PreferNoSchedule']),
    );
  });
  validateResourceList(node.status?.capacity, 'status.capacity', out);
  validateResourceList(node.status?.allocatable, 'status.allocatable', out);
  return out;
}

/** validateEvent checks the object an Event refers to. */
export function validateEvent(ev: Event): FieldError[] {
  const out: FieldError[] = [];
  if ((ev.involvedObject.kind ?? '') === '') out.push(required('involvedObject.kind'));
  const ns = ev.involvedObject.namespace;
  if (
    ns !== undefined &&
    ns !== '' &&
    ev.metadata?.namespace !== undefined &&
    ns !== ev.metadata.namespace
  )
    out.push(invalid('involvedObject.namespace', ns, 'does not match event.namespace'));
  out.push(...oneOf('type', ev.type, ['Normal', 'Warning']));
  out.push(...nonNegative('count', ev.count));
  return out;
}

const accessModes = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];

/** validatePersistentVolume checks a PersistentVolume's capacity, modes and source. */
export function validatePersistentVolume(pv: PersistentVolume): FieldError[] {
  const spec = pv.spec;
  if (spec === undefined) return [required('spec')];
  const out: FieldError[] = [];
  if ((spec.accessModes ?? []).length === 0) out.push(required('spec.accessModes'));
  (spec.accessModes ?? []).forEach((m, i) => {
    out.push(...oneOf(fieldPath('spec.accessModes', i), m, accessModes));
  });
  if (spec.capacity?.storage === undefined) out.push(required('spec.capacity'));
  validateResourceList(spec.capacity, 'spec.capacity', out);
  const sources = [
    'hostPath',
    'nfs',
    'csi',
    'iscsi',
    'local',
    ...Object.keys(legacySources),
  ].filter((k) => (spec as Record<string, unknown>)[k] !== undefined);
  if (sources.length === 0) out.push(required('spec', 'must specify a volume type'));
  if (sources.length > 1)
    out.push(
      invalid(fieldPath('spec', sources[1] ?? ''), '', 'may not specify more than 1 volume type'),
    );
  out.push(
    ...oneOf('spec.persistentVolumeReclaimPolicy', spec.persistentVolumeReclaimPolicy, [
      'Delete',
      'Recycle',
      'Retain',
    ]),
  );
  out.push(...oneOf('spec.volumeMode', spec.volumeMode, ['Block', 'Filesystem']));
  return out;
}

/** validatePersistentVolumeClaim checks a claim's modes and requested storage. */
export function validatePersistentVolumeClaim(pvc: PersistentVolumeClaim): FieldError[] {
  const spec = pvc.spec;
  if (spec === undefined) return [required('spec')];
  const out: FieldError[] = [];
  if ((spec.accessModes ?? []).length === 0)
    out.push(required('spec.accessModes', 'at least 1 access mode is required'));
  (spec.accessModes ?? []).forEach((m, i) => {
    out.push(...oneOf(fieldPath('spec.accessModes', i), m, accessModes));
  });
  if (spec.resources?.requests?.storage === undefined && spec.dataSourceRef === undefined)
    out.push(required('spec.resources[storage]'));
  validateResourceList(spec.resources?.requests, 'spec.resources.requests', out);
  out.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  out.push(...oneOf('spec.volumeMode', spec.volumeMode, ['Block', 'Filesystem']));
  return out;
}

/** validateStorageClass checks a StorageClass. */
export function validateStorageClass(sc: StorageClass): FieldError[] {
  const out: FieldError[] = [];
  if (sc.provisioner === '') out.push(required('provisioner'));
  else
    for (const m of isQualifiedName(sc.provisioner.replace(/\//g, '.')))
      out.push(invalid('provisioner', sc.provisioner, m));
  out.push(...oneOf('reclaimPolicy', sc.reclaimPolicy, ['Delete', 'Retain']));
  out.push(
    ...oneOf('volumeBindingMode', sc.volumeBindingMode, ['Immediate', 'WaitForFirstConsumer']),
  );
  return out;
}

/** validateLease checks a Lease's durations. */
export function validateLease(lease: Lease): FieldError[] {
  const out: FieldError[] = [];
  const d = lease.spec?.leaseDurationSeconds;
  if (d !== undefined && d <= 0)
    out.push(invalid('spec.leaseDurationSeconds', d, 'must be greater than 0'));
  out.push(...nonNegative('spec.leaseTransitions', lease.spec?.leaseTransitions));
  return out;
}

/** validateRuntimeClass checks a RuntimeClass's handler (a DNS label). */
export function validateRuntimeClass(rc: RuntimeClass): FieldError[] {
  const out: FieldError[] = [];
  if (rc.handler === '') out.push(required('handler'));
  else for (const m of isDnsLabel(rc.handler)) out.push(invalid('handler', rc.handler, m));
  validateResourceList(rc.overhead?.podFixed, 'overhead.podFixed', out);
  return out;
}

/** validateControllerRevision checks a ControllerRevision's revision number. */
export function validateControllerRevision(cr: ControllerRevision): FieldError[] {
  return nonNegative('revision', cr.revision);
}
