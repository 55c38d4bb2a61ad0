import type { KubeObject, LabelSelector } from '../../sdk/api/meta.ts';
import {
  formatLabelSelector,
  labelSelectorFromSpec,
  selectorFromLabels,
} from '../../sdk/api/selectors/label-selector.ts';
import { SkiffError } from '../../sdk/errors.ts';

/** scaleOf builds the autoscaling/v1 Scale view of a scalable object. */
export function scaleOf(object: KubeObject): KubeObject {
  const spec = (object.spec ?? {}) as { replicas?: number; selector?: unknown };
  const status = (object.status ?? {}) as { replicas?: number };
  const m = object.metadata ?? {};
  let selector = '';
  if (object.kind === 'ReplicationController') {
    selector = formatLabelSelector(
      selectorFromLabels((spec.selector ?? {}) as Record<string, string>),
    );
  } else {
    const parsed = labelSelectorFromSpec(spec.selector as LabelSelector | undefined);
    if (parsed.ok) selector = formatLabelSelector(parsed.selector);
  }
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name,
      ...(m.namespace === undefined ? {} : { namespace: m.namespace }),
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 1 },
    status: { replicas: status.replicas ?? 0, selector },
  };
}

/** applyScale writes a Scale's replicas into a copy of its object, checking the Scale first. */
export function applyScale(object: KubeObject, scale: unknown): KubeObject {
  const s = scale as { spec?: { replicas?: unknown }; metadata?: { resourceVersion?: string } };
  const replicas = s?.spec?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)
    throw new SkiffError(
      'Invalid',
      `Scale.autoscaling ${JSON.stringify(object.metadata?.name ?? '')} is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas ?? null)}: must be a non-negative integer`,
      {
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: 'must be a non-negative integer',
            field: 'spec.replicas',
          },
        ],
        details: { name: object.metadata?.name, group: 'autoscaling', kind: 'Scale' },
      },
    );
  const copy = structuredClone(object);
  copy.spec = { ...(copy.spec as object), replicas };
  const rv = s.metadata?.resourceVersion;
  if (rv !== undefined && rv !== '' && copy.metadata) copy.metadata.resourceVersion = rv;
  return copy;
}

/** bindPod sets a pod's node from a Binding; a pod already bound elsewhere is a Conflict. */
export function bindPod(pod: KubeObject, binding: unknown): KubeObject {
  const target = (binding as { target?: { kind?: string; name?: unknown } })?.target;
  if (typeof target?.name !== 'string' || target.name === '')
    throw new SkiffError(
      'Invalid',
      `Binding ${JSON.stringify(pod.metadata?.name ?? '')} is invalid: target.name: Required value`,
      {
        causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'target.name' }],
      },
    );
  if (target.kind !== undefined && target.kind !== '' && target.kind !== 'Node')
    throw new SkiffError('BadRequest', `a pod can only be bound to a Node, not a ${target.kind}`);
  const spec = (pod.spec ?? {}) as { nodeName?: string };
  if (spec.nodeName)
    throw new SkiffError(
      'Conflict',
      `Operation cannot be fulfilled on pods/binding ${JSON.stringify(pod.metadata?.name)}: pod ${pod.metadata?.name} is already assigned to node ${JSON.stringify(spec.nodeName)}`,
      { details: { name: pod.metadata?.name, kind: 'pods/binding' } },
    );
  const copy = structuredClone(pod);
  copy.spec = { ...spec, nodeName: target.name };
  return copy;
}
