import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../sdk/api/meta.ts';
import { toTable } from './index.ts';

const now = new Date('2026-03-01T12:00:00Z');
const meta = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  namespace: 'default',
  uid: `uid-${name}`,
  resourceVersion: '41',
  creationTimestamp: '2026-02-27T09:00:00Z', // 2d3h before now
  labels: { app: name },
  ...extra,
});

/** row renders one object and pairs each cell with its column name (upper case, as kubectl shows it). */
function row(kind: string, object: Record<string, unknown>): Record<string, unknown> {
  const table = toTable(kind, [object as KubeObject], { now });
  const columns = table.columnDefinitions ?? [];
  const cells = table.rows[0]?.cells ?? [];
  expect(cells).toHaveLength(columns.length);
  return Object.fromEntries(columns.map((c, i) => [c.name.toUpperCase(), cells[i]]));
}

describe('rows of policy, quota and RBAC kinds', () => {
  it('resource quotas split requests from limits, sorted by resource', () => {
    const quota = {
      metadata: meta('compute'),
      status: {
        hard: { 'requests.cpu': '2', pods: '10', 'limits.memory': '4Gi', 'limits.cpu': '4' },
        used: { 'requests.cpu': '500m', pods: '3', 'limits.cpu': '1' },
      },
    };
    expect(row('ResourceQuota', quota)).toEqual({
      NAME: 'compute',
      REQUEST: 'pods: 3/10, requests.cpu: 500m/2',
      LIMIT: 'limits.cpu: 1/4, limits.memory: 0/4Gi',
      AGE: '2d3h',
    });
  });

  it('pod disruption budgets', () => {
    expect(
      row('PodDisruptionBudget', {
        metadata: meta('web'),
        spec: { minAvailable: 2 },
        status: { disruptionsAllowed: 1 },
      }),
    ).toEqual({
      NAME: 'web',
      'MIN AVAILABLE': '2',
      'MAX UNAVAILABLE': 'N/A',
      'ALLOWED DISRUPTIONS': 1,
      AGE: '2d3h',
    });
    expect(
      row('PodDisruptionBudget', {
        metadata: meta('db'),
        spec: { maxUnavailable: '25%' },
        status: {},
      }),
    ).toMatchObject({ 'MIN AVAILABLE': 'N/A', 'MAX UNAVAILABLE': '25%', 'ALLOWED DISRUPTIONS': 0 });
  });

  it('priority classes', () => {
    expect(
      row('PriorityClass', {
        metadata: meta('high'),
        value: 1000,
        globalDefault: true,
        preemptionPolicy: 'Never',
      }),
    ).toEqual({
      NAME: 'high',
      VALUE: 1000,
      'GLOBAL-DEFAULT': true,
      AGE: '2d3h',
      PREEMPTIONPOLICY: 'Never',
    });
  });

  it('role bindings list their subjects by kind', () => {
    const binding = {
      metadata: meta('readers'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [
        { kind: 'User', name: 'alice' },
        { kind: 'User', name: 'bob' },
        { kind: 'Group', name: 'ops' },
        { kind: 'ServiceAccount', namespace: 'ci', name: 'runner' },
      ],
    };
    const want = {
      NAME: 'readers',
      ROLE: 'ClusterRole/view',
      AGE: '2d3h',
      USERS: 'alice, bob',
      GROUPS: 'ops',
      SERVICEACCOUNTS: 'ci/runner',
    };
    expect(row('RoleBinding', binding)).toEqual(want);
    expect(row('ClusterRoleBinding', binding)).toEqual(want);
  });

  it('pod templates', () => {
    const tpl = {
      metadata: meta('tpl'),
      template: {
        metadata: { labels: { app: 'web', tier: 'front' } },
        spec: { containers: [{ name: 'a', image: 'x:1' }] },
      },
    };
    expect(row('PodTemplate', tpl)).toEqual({
      NAME: 'tpl',
      CONTAINERS: 'a',
      IMAGES: 'x:1',
      'POD LABELS': 'app=web,tier=front',
    });
  });
});
