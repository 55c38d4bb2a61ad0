import type { KubeObject } from '../../sdk/api/meta.ts';

type Getter = (o: KubeObject) => string | undefined;

const path =
  (...parts: string[]): Getter =>
  (o) => {
    let cur: unknown = o;
    for (const p of parts) {
      if (typeof cur !== 'object' || cur === null) return undefined;
      cur = (cur as Record<string, unknown>)[p];
    }
    return cur === undefined || cur === null ? undefined : String(cur);
  };

const common: Record<string, Getter> = {
  'metadata.name': path('metadata', 'name'),
  'metadata.namespace': path('metadata', 'namespace'),
};

const involved = Object.fromEntries(
  ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'].map((f) => [
    `involvedObject.${f}`,
    path('involvedObject', f),
  ]),
);

// The fields Kubernetes lets clients select on, per kind, beyond name and namespace.
const byKind: Record<string, Record<string, Getter>> = {
  Pod: {
    'spec.nodeName': path('spec', 'nodeName'),
    'spec.restartPolicy': path('spec', 'restartPolicy'),
    'spec.schedulerName': path('spec', 'schedulerName'),
    'spec.serviceAccountName': path('spec', 'serviceAccountName'),
    'spec.hostNetwork': (o) => path('spec', 'hostNetwork')(o) ?? 'false',
    'status.phase': path('status', 'phase'),
    'status.podIP': path('status', 'podIP'),
    'status.nominatedNodeName': path('status', 'nominatedNodeName'),
  },
  Event: {
    ...involved,
    reason: path('reason'),
    reportingComponent: path('reportingComponent'),
    source: path('source', 'component'),
    type: path('type'),
  },
  Secret: { type: path('type') },
  Namespace: { 'status.phase': path('status', 'phase') },
  Node: { 'spec.unschedulable': (o) => path('spec', 'unschedulable')(o) ?? 'false' },
  ReplicaSet: { 'status.replicas': path('status', 'replicas') },
  ReplicationController: { 'status.replicas': path('status', 'replicas') },
  Job: { 'status.successful': path('status', 'succeeded') },
};

/** selectableFields lists the field selector names a kind supports. */
export function selectableFields(kind: string): string[] {
  return [...Object.keys(common), ...Object.keys(byKind[kind] ?? {})];
}

/** fieldValue reads a selectable field of an object (undefined for an unknown field). */
export function fieldValue(kind: string, object: KubeObject, field: string): string | undefined {
  const get = common[field] ?? byKind[kind]?.[field];
  return get === undefined ? undefined : (get(object) ?? '');
}
