import type { Pod } from '../../sdk/api/core/pod.ts';
import type { KubeObject, LabelSelector } from '../../sdk/api/meta.ts';
import {
  formatLabelSelector,
  labelSelectorFromSpec,
  selectorFromLabels,
} from '../../sdk/api/selectors/label-selector.ts';
import { isSkiffError, SkiffError } from '../../sdk/errors.ts';
import type { Store } from '../store/store.ts';
import { decodeStored, encodeStored, type Resource, storageKey } from './resources.ts';
import { apiError } from './status.ts';

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

/** bindingConflict is Kubernetes' answer when a pod cannot take a binding. */
function bindingConflict(name: string, reason: string): SkiffError {
  return new SkiffError(
    'Conflict',
    `Operation cannot be fulfilled on pods/binding ${JSON.stringify(name)}: ${reason}`,
    { details: { name, kind: 'pods/binding' } },
  );
}

interface BindingBody {
  metadata?: { uid?: unknown; resourceVersion?: unknown; annotations?: unknown };
  target?: { kind?: string; name?: unknown };
}

/** checkBinding refuses a Binding without a Node target, as Kubernetes' validation does. */
function checkBinding(name: string, binding: unknown): string {
  const target = (binding as BindingBody | undefined)?.target;
  if (typeof target?.name !== 'string' || target.name === '')
    throw new SkiffError(
      'Invalid',
      `Binding ${JSON.stringify(name)} is invalid: target.name: Required value`,
      {
        causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'target.name' }],
      },
    );
  if (target.kind !== undefined && target.kind !== '' && target.kind !== 'Node')
    throw new SkiffError('BadRequest', `a pod can only be bound to a Node, not a ${target.kind}`);
  return target.name;
}

/**
 * bindPod sets a pod's node from a Binding, as Kubernetes' binding subresource does: the pod
 * must exist, not be bound yet, not be being deleted and have no scheduling gates, and match
 * the Binding's uid and resourceVersion when it gives them; the Binding's annotations are
 * copied and the pod is marked PodScheduled=True. One read and one write guarded by the read's
 * revision (retried on a concurrent write): the stored pod was validated when it was written,
 * and only these fields change.
 */
export async function bindPod(
  store: Store,
  res: Resource,
  ns: string | undefined,
  name: string,
  binding: unknown,
  dryRun: boolean,
): Promise<void> {
  const node = checkBinding(name, binding);
  const meta = (binding as BindingBody).metadata;
  const key = storageKey(res, ns, name);
  for (let attempt = 0; ; attempt++) {
    const item = await store.get(key);
    if (item === undefined)
      throw apiError('NotFound', { group: res.def.group, plural: res.def.plural, name });
    const pod = decodeStored(item.value) as Pod;
    const pm = pod.metadata ?? {};
    if (pm.deletionTimestamp)
      throw bindingConflict(name, `pod ${name} is being deleted, cannot be assigned to a host`);
    if (typeof meta?.uid === 'string' && meta.uid !== '' && meta.uid !== pm.uid)
      throw bindingConflict(
        name,
        `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${pm.uid ?? ''}`,
      );
    const rv = meta?.resourceVersion;
    if (typeof rv === 'string' && rv !== '' && rv !== String(item.modRevision))
      throw bindingConflict(
        name,
        `Precondition failed: ResourceVersion in precondition: ${rv}, ResourceVersion in object meta: ${item.modRevision}`,
      );
    const spec = pod.spec ?? ({} as NonNullable<Pod['spec']>);
    if (spec.nodeName)
      throw bindingConflict(
        name,
        `pod ${name} is already assigned to node ${JSON.stringify(spec.nodeName)}`,
      );
    if ((spec.schedulingGates ?? []).length > 0)
      throw bindingConflict(name, `pod ${name} has non-empty .spec.schedulingGates`);
    const annotations = meta?.annotations;
    if (annotations !== null && typeof annotations === 'object')
      pm.annotations = { ...pm.annotations, ...(annotations as Record<string, string>) };
    pod.metadata = pm;
    pod.spec = { ...spec, nodeName: node };
    pod.status = { ...pod.status, conditions: scheduledConditions(pod.status?.conditions) };
    if (dryRun) return;
    try {
      await store.update(key, encodeStored(pod), { expectedModRevision: item.modRevision });
      return;
    } catch (err) {
      // Another writer (a status update) got in between: read again, as GuaranteedUpdate does.
      if (!isSkiffError(err, 'Conflict') || attempt >= 4) throw err;
    }
  }
}

type PodCondition = NonNullable<NonNullable<Pod['status']>['conditions']>[number];

/** scheduledConditions sets PodScheduled=True, keeping its transition time if it was True. */
function scheduledConditions(conditions: PodCondition[] = []): PodCondition[] {
  const prev = conditions.find((c) => c.type === 'PodScheduled');
  if (prev?.status === 'True') return conditions;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const next: PodCondition = { type: 'PodScheduled', status: 'True', lastTransitionTime: now };
  return prev === undefined
    ? [...conditions, next]
    : conditions.map((c) => (c === prev ? next : c));
}
