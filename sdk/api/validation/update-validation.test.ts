import { describe, expect, it } from 'vitest';
import { builtinKindRegistry } from '../builtin-kinds.ts';
import type { KubeObject } from '../meta.ts';
import { formatFieldError } from './field-error.ts';

const registry = builtinKindRegistry();
// biome-ignore lint/suspicious/noExplicitAny: fixtures are edited freely
type Obj = any;

function updateErrors(prev: KubeObject, change: (o: Obj) => void): string[] {
  const def = registry.get(prev.apiVersion ?? '', prev.kind ?? '');
  if (def === undefined) throw new Error(`${prev.kind} is not registered`);
  const before = def.default(prev);
  const next: Obj = structuredClone(before);
  change(next);
  return def.validateUpdate(next, before).map(formatFieldError);
}

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'u1' },
  spec: {
    containers: [{ name: 'c', image: 'nginx:1' }],
    tolerations: [{ key: 'k', operator: 'Exists' }],
  },
};
const deployment: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd' },
  spec: {
    selector: { matchLabels: { app: 'a' } },
    template: {
      metadata: { labels: { app: 'a', v: '1' } },
      spec: { containers: [{ name: 'c', image: 'x:1' }] },
    },
  },
};
const sts: KubeObject = {
  ...deployment,
  kind: 'StatefulSet',
  spec: { ...(deployment.spec as object), serviceName: 's' },
};
const job: KubeObject = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'j' },
  spec: {
    template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x:1' }] } },
  },
};
const svc: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 's' },
  spec: { clusterIP: '10.0.0.5', ports: [{ port: 80 }] },
};
const cm: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c' },
  immutable: true,
  data: { a: '1' },
};
const pvc: KubeObject = {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'c' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
};
const rb: KubeObject = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: { name: 'b' },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
};

describe('validateUpdate', () => {
  it.each<[string, KubeObject, (o: Obj) => void, string]>([
    [
      'a pod image change',
      pod,
      (o) => {
        o.spec.containers[0].image = 'nginx:2';
      },
      '',
    ],
    [
      'a pod label change',
      pod,
      (o) => {
        o.metadata.labels = { a: 'b' };
      },
      '',
    ],
    [
      'a pod toleration addition',
      pod,
      (o) => {
        o.spec.tolerations.push({ key: 'x', operator: 'Exists' });
      },
      '',
    ],
    [
      'binding a pod to a node',
      pod,
      (o) => {
        o.spec.nodeName = 'n1';
      },
      '',
    ],
    [
      'a pod command change',
      pod,
      (o) => {
        o.spec.containers[0].command = ['sh'];
      },
      'spec: Forbidden: pod updates may not change fields other than',
    ],
    [
      'a pod toleration removal',
      pod,
      (o) => {
        o.spec.tolerations = [];
      },
      'spec.tolerations: Forbidden: existing toleration can not be modified',
    ],
    [
      'a pod rename',
      pod,
      (o) => {
        o.metadata.name = 'q';
      },
      'metadata.name: Invalid value: "q": field is immutable',
    ],
    [
      'a pod uid change',
      pod,
      (o) => {
        o.metadata.uid = 'u2';
      },
      'metadata.uid: Invalid value: "u2": field is immutable',
    ],
    [
      'a deployment image change',
      deployment,
      (o) => {
        o.spec.template.spec.containers[0].image = 'x:2';
      },
      '',
    ],
    [
      'a deployment selector change',
      deployment,
      (o) => {
        o.spec.selector.matchLabels.v = '1';
      },
      'spec.selector: Invalid value: {"matchLabels":{"app":"a","v":"1"}}: field is immutable',
    ],
    [
      'a statefulset scale',
      sts,
      (o) => {
        o.spec.replicas = 5;
      },
      '',
    ],
    [
      'a statefulset service change',
      sts,
      (o) => {
        o.spec.serviceName = 't';
      },
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas'",
    ],
    [
      'a job parallelism change',
      job,
      (o) => {
        o.spec.parallelism = 2;
      },
      '',
    ],
    [
      'a job template change',
      job,
      (o) => {
        o.spec.template.spec.containers[0].image = 'x:2';
      },
      'spec.template: Invalid value',
    ],
    [
      'a service port change',
      svc,
      (o) => {
        o.spec.ports[0].port = 81;
      },
      '',
    ],
    [
      'a service update without clusterIP',
      svc,
      (o) => {
        o.spec.clusterIP = undefined;
      },
      '',
    ],
    [
      'a service clusterIP change',
      svc,
      (o) => {
        o.spec.clusterIP = '10.0.0.6';
      },
      'spec.clusterIP: Invalid value: "10.0.0.6": field is immutable',
    ],
    [
      'an immutable configmap change',
      cm,
      (o) => {
        o.data.a = '2';
      },
      'data: Forbidden: field is immutable when `immutable` is set',
    ],
    [
      'an immutable configmap label change',
      cm,
      (o) => {
        o.metadata.labels = { a: 'b' };
      },
      '',
    ],
    [
      'a claim resize',
      pvc,
      (o) => {
        o.spec.resources.requests.storage = '2Gi';
      },
      '',
    ],
    [
      'a claim access mode change',
      pvc,
      (o) => {
        o.spec.accessModes = ['ReadWriteMany'];
      },
      'spec: Forbidden: spec is immutable after creation',
    ],
    [
      'a binding roleRef change',
      rb,
      (o) => {
        o.roleRef.name = 'other';
      },
      'roleRef: Invalid value',
    ],
  ])('%s', (_name, prev, change, expected) => {
    const errors = updateErrors(prev, change);
    if (expected === '') expect(errors).toEqual([]);
    else
      expect(
        errors.some((e) => e.includes(expected)),
        `${expected}\n in ${JSON.stringify(errors, null, 1)}`,
      ).toBe(true);
  });

  it("still reports the new object's own errors", () => {
    expect(
      updateErrors(pod, (o) => {
        o.spec.containers[0].image = '';
      }),
    ).toContain('spec.containers[0].image: Required value');
  });
});
