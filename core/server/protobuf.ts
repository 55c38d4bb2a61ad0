import protobuf from 'protobufjs';
import { SkiffError } from '../../sdk/errors.ts';
import { k8sRoot, unknownFields } from './protobuf-schema.ts';

/**
 * kubectl's typed commands (`create deployment`, `create secret`, `create role`, ...) send
 * Kubernetes' protobuf encoding: the bytes `k8s\0`, then a runtime.Unknown message whose
 * `raw` field holds the object. The messages are defined under proto/k8s/ with Kubernetes'
 * field numbers; protobufjs decodes them and this module turns the result into the JSON shape.
 */

/** protobufType is the media type of Kubernetes' protobuf encoding. */
export const protobufType = 'application/vnd.kubernetes.protobuf';

// The kinds decoded, by apiVersion, each the message name in that group's package.
const kinds: Record<string, { pkg: string; kinds: string[] }> = {
  v1: {
    pkg: 'k8s.io.api.core.v1',
    kinds: ['ConfigMap', 'Secret', 'Namespace', 'ServiceAccount', 'Service', 'ResourceQuota'],
  },
  'apps/v1': { pkg: 'k8s.io.api.apps.v1', kinds: ['Deployment'] },
  'batch/v1': { pkg: 'k8s.io.api.batch.v1', kinds: ['Job', 'CronJob'] },
  'rbac.authorization.k8s.io/v1': {
    pkg: 'k8s.io.api.rbac.v1',
    kinds: ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'],
  },
  'policy/v1': { pkg: 'k8s.io.api.policy.v1', kinds: ['PodDisruptionBudget'] },
  'scheduling.k8s.io/v1': { pkg: 'k8s.io.api.scheduling.v1', kinds: ['PriorityClass'] },
  'networking.k8s.io/v1': { pkg: 'k8s.io.api.networking.v1', kinds: ['Ingress'] },
  'autoscaling/v1': { pkg: 'k8s.io.api.autoscaling.v1', kinds: ['HorizontalPodAutoscaler'] },
};

/** protobufKinds lists the apiVersion/kind pairs decodeProtobuf understands. */
export const protobufKinds = Object.entries(kinds).flatMap(([apiVersion, g]) =>
  g.kinds.map((kind) => `${apiVersion}/${kind}`),
);

const meta = 'k8s.io.apimachinery.pkg';
const timeType = `.${meta}.apis.meta.v1.Time`;
const intOrStringType = `.${meta}.util.intstr.IntOrString`;
const quantityType = `.${meta}.api.resource.Quantity`;

// Go writes every non-pointer scalar, so zeros and false arrive for fields JSON would omit.
// These fields are pointers or never omitted in Go's JSON, so their zero is a real value.
const zeroMatters = new Set([
  'replicas',
  'minReplicas',
  'maxReplicas',
  'targetCPUUtilizationPercentage',
  'value',
  'port',
  'containerPort',
  'parallelism',
  'completions',
  'backoffLimit',
  'backoffLimitPerIndex',
  'maxFailedIndexes',
  'activeDeadlineSeconds',
  'ttlSecondsAfterFinished',
  'startingDeadlineSeconds',
  'successfulJobsHistoryLimit',
  'failedJobsHistoryLimit',
  'revisionHistoryLimit',
  'progressDeadlineSeconds',
  'terminationGracePeriodSeconds',
  'deletionGracePeriodSeconds',
  'priority',
  'suspend',
  'manualSelector',
  'immutable',
  'optional',
  'automountServiceAccountToken',
  'enableServiceLinks',
  'allocateLoadBalancerNodePorts',
  'controller',
  'blockOwnerDeletion',
  'runAsUser',
  'runAsGroup',
  'runAsNonRoot',
  'fsGroup',
  'privileged',
  'readOnlyRootFilesystem',
  'allowPrivilegeEscalation',
  'hostProcess',
]);

// Fields whose members JSON shows on the parent object (Go's `json:",inline"`).
const inlined = new Set(['ingressRuleValue', 'localObjectReference']);

const bad = (why: string) =>
  new SkiffError('BadRequest', `the protobuf body of the request cannot be decoded: ${why}`);

function rfc3339(value: Record<string, unknown>): string | undefined {
  const seconds = Number(value.seconds ?? 0);
  if (value.seconds === undefined) return undefined;
  return new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

function scalarToJson(value: unknown, name: string, inStatus: boolean): unknown {
  if (value === '' || value === undefined) return undefined;
  // In a status no zero is kept: Go writes an unset status as zeros, and creation resets it.
  if ((value === 0 || value === false) && (inStatus || !zeroMatters.has(name))) return undefined;
  return value;
}

// valueToJson converts one decoded value of a field whose type is `type` (null for scalars).
function valueToJson(
  value: unknown,
  type: protobuf.Type | null,
  name: string,
  inStatus: boolean,
): unknown {
  if (type === null) return scalarToJson(value, name, inStatus);
  const v = value as Record<string, unknown>;
  switch (type.fullName) {
    case timeType:
      return rfc3339(v);
    case quantityType:
      return v.string ?? '';
    case intOrStringType:
      return Number(v.type ?? 0) === 1 ? (v.strVal ?? '') : (v.intVal ?? 0);
    default:
      return messageToJson(v, type, inStatus || name === 'status');
  }
}

// hasNoValue tells an object made only of empty objects (a status Go wrote with nothing set).
function hasNoValue(json: unknown): boolean {
  return typeof json === 'object' && json !== null && Object.values(json).every(hasNoValue);
}

function messageToJson(
  decoded: Record<string, unknown>,
  type: protobuf.Type,
  inStatus = false,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const value = decoded[field.name];
    if (value === undefined || value === null) continue;
    const nested = field.resolvedType instanceof protobuf.Type ? field.resolvedType : null;
    let json: unknown;
    if (field instanceof protobuf.MapField) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) continue;
      json = Object.fromEntries(
        entries.map(([k, v]) => [k, nested ? valueToJson(v, nested, k, inStatus) : v]),
      );
    } else if (field.repeated) {
      const items = value as unknown[];
      if (items.length === 0) continue;
      json = items.map((item) => (nested ? valueToJson(item, nested, field.name, inStatus) : item));
    } else json = valueToJson(value, nested, field.name, inStatus);
    if (json === undefined) continue;
    if (field.name === 'status' && hasNoValue(json)) continue;
    if (inlined.has(field.name) && typeof json === 'object') Object.assign(out, json);
    else out[field.name] = json;
  }
  return out;
}

const toObjectOptions: protobuf.IConversionOptions = {
  longs: Number,
  bytes: String,
  defaults: false,
  arrays: false,
};

/** decodeProtobuf turns a Kubernetes protobuf body into the JSON object it encodes. */
export function decodeProtobuf(body: Uint8Array): Record<string, unknown> {
  const magic = [0x6b, 0x38, 0x73, 0x00];
  if (body.length < 4 || magic.some((b, i) => body[i] !== b))
    throw bad('the k8s\\0 prefix is missing');
  const root = k8sRoot();
  const envelopeType = root.lookupType(`${meta}.runtime.Unknown`);
  let envelope: { typeMeta?: { apiVersion?: string; kind?: string }; raw?: Uint8Array };
  try {
    envelope = envelopeType.decode(body.subarray(4)) as typeof envelope;
  } catch (err) {
    throw bad((err as Error).message);
  }
  const apiVersion = envelope.typeMeta?.apiVersion ?? '';
  const kind = envelope.typeMeta?.kind ?? '';
  const group = kinds[apiVersion];
  if (group === undefined || !group.kinds.includes(kind))
    throw new SkiffError(
      'UnsupportedMediaType',
      `the server decodes protobuf for ${protobufKinds.join(', ')} only, not ${apiVersion}/${kind || 'this kind'}; send application/json`,
    );
  const type = root.lookupType(`${group.pkg}.${kind}`);
  const raw = envelope.raw ?? new Uint8Array();
  let decoded: protobuf.Message;
  let unknown: string[];
  try {
    decoded = type.decode(raw);
    unknown = unknownFields(raw, type);
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (unknown.length > 0)
    throw new SkiffError(
      'UnsupportedMediaType',
      `the server cannot decode every field of this ${kind} from protobuf (${unknown.slice(0, 5).join(', ')}); send application/json`,
    );
  const object = messageToJson(type.toObject(decoded, toObjectOptions), type);
  return { apiVersion, kind, ...object };
}
