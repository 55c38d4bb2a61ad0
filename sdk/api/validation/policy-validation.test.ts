import { describe, expect, it } from 'vitest';
import { builtinKindRegistry } from '../builtin-kinds.ts';
import type { KubeObject } from '../meta.ts';
import { formatFieldError } from './field-error.ts';

const registry = builtinKindRegistry();
const rbac = 'rbac.authorization.k8s.io';

function errors(object: KubeObject): string[] {
  const def = registry.get(object.apiVersion ?? '', object.kind ?? '');
  if (def === undefined) throw new Error(`${object.apiVersion} ${object.kind} is not registered`);
  return def.validate(def.default(object)).map(formatFieldError);
}

const role = (rules: unknown[]): KubeObject => ({
  apiVersion: `${rbac}/v1`,
  kind: 'Role',
  metadata: { name: 'r', namespace: 'n' },
  rules,
});
const binding = (kind: string, roleRef: unknown, subjects: unknown[]): KubeObject => ({
  apiVersion: `${rbac}/v1`,
  kind,
  metadata: { name: 'b' },
  roleRef,
  subjects,
});
const ref = (kind: string) => ({ apiGroup: rbac, kind, name: 'r' });

describe('policy and access-control rules', () => {
  it.each<[string, KubeObject, string]>([
    ['a valid role', role([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]), ''],
    [
      'a rule without verbs',
      role([{ apiGroups: [''], resources: ['pods'], verbs: [] }]),
      'rules[0].verbs: Required value: verbs must contain at least one value',
    ],
    [
      'a rule without api groups',
      role([{ resources: ['pods'], verbs: ['get'] }]),
      'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
    ],
    [
      'a namespaced rule on a URL',
      role([{ nonResourceURLs: ['/healthz'], verbs: ['get'] }]),
      'rules[0].nonResourceURLs: Invalid value: ["/healthz"]: namespaced rules cannot apply to non-resource URLs',
    ],
    [
      'a role name with a slash',
      { ...role([]), metadata: { name: 'a/b', namespace: 'n' } },
      `metadata.name: Invalid value: "a/b": may not contain '/'`,
    ],
    [
      'a role name with a colon',
      { ...role([]), metadata: { name: 'system:x', namespace: 'n' } },
      '',
    ],
    [
      'a valid binding',
      binding('RoleBinding', ref('Role'), [{ kind: 'User', apiGroup: rbac, name: 'alice' }]),
      '',
    ],
    [
      'a binding to a Deployment',
      binding('RoleBinding', ref('Deployment'), []),
      'roleRef.kind: Unsupported value: "Deployment": supported values: "ClusterRole", "Role"',
    ],
    [
      'a cluster binding to a Role',
      binding('ClusterRoleBinding', ref('Role'), []),
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
    ],
    [
      'a cluster binding to a service account without namespace',
      binding('ClusterRoleBinding', ref('ClusterRole'), [{ kind: 'ServiceAccount', name: 'sa' }]),
      'subjects[0].namespace: Required value',
    ],
    [
      'a user subject without apiGroup',
      binding('RoleBinding', ref('Role'), [{ kind: 'User', name: 'alice' }]),
      'subjects[0].apiGroup: Unsupported value: ""',
    ],
    [
      'a robot subject',
      binding('RoleBinding', ref('Role'), [{ kind: 'Robot', name: 'r2' }]),
      'subjects[0].kind: Unsupported value: "Robot"',
    ],
    [
      'a budget with both bounds',
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'p' },
        spec: { minAvailable: 1, maxUnavailable: 1 },
      },
      'minAvailable and maxUnavailable cannot be both set',
    ],
    [
      'a budget over 100%',
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'p' },
        spec: { maxUnavailable: '150%' },
      },
      'spec.maxUnavailable: Invalid value: "150%": must not be greater than 100%',
    ],
    [
      'a user priority too high',
      {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name: 'p' },
        value: 2_000_000_000,
      },
      'value: Forbidden: maximum allowed value of a user defined priority is 1000000000',
    ],
    [
      'a system priority',
      {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name: 'system-node-critical' },
        value: 2_000_001_000,
      },
      '',
    ],
    [
      'a quota with a bad amount',
      {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'q' },
        spec: { hard: { pods: 'ten' } },
      },
      'spec.hard[pods]: Invalid value: "ten": quantities must match',
    ],
    [
      'a limit of an unknown type',
      {
        apiVersion: 'v1',
        kind: 'LimitRange',
        metadata: { name: 'l' },
        spec: { limits: [{ type: 'Node' }] },
      },
      'spec.limits[0].type: Unsupported value: "Node"',
    ],
    [
      'a pod template without containers',
      {
        apiVersion: 'v1',
        kind: 'PodTemplate',
        metadata: { name: 't' },
        template: { spec: { containers: [] } },
      },
      'template.spec.containers: Required value',
    ],
  ])('%s', (_name, object, expected) => {
    const found = errors(object);
    if (expected === '') expect(found).toEqual([]);
    else
      expect(
        found.some((e) => e.includes(expected)),
        `${expected}\n in ${JSON.stringify(found, null, 1)}`,
      ).toBe(true);
  });

  it('defaults a PriorityClass preemptionPolicy', () => {
    const def = registry.get('scheduling.k8s.io/v1', 'PriorityClass');
    expect(def?.default({ metadata: { name: 'p' }, value: 1 })).toMatchObject({
      preemptionPolicy: 'PreemptLowerPriority',
    });
  });
});
