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

describe('rows of workload kinds', () => {
  const template = {
    metadata: { labels: { app: 'web' } },
    spec: {
      containers: [
        { name: 'nginx', image: 'nginx:1.27' },
        { name: 'log', image: 'busybox' },
      ],
    },
  };

  it('deployments, replica sets, stateful sets, daemon sets, replication controllers', () => {
    const selector = { matchLabels: { app: 'web' } };
    expect(
      row('Deployment', {
        metadata: meta('web'),
        spec: { replicas: 3, selector, template },
        status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
      }),
    ).toEqual({
      NAME: 'web',
      READY: '2/3',
      'UP-TO-DATE': 3,
      AVAILABLE: 2,
      AGE: '2d3h',
      CONTAINERS: 'nginx,log',
      IMAGES: 'nginx:1.27,busybox',
      SELECTOR: 'app=web',
    });
    expect(
      row('ReplicaSet', {
        metadata: meta('web-5d4f'),
        spec: { replicas: 3, selector, template },
        status: { replicas: 3, readyReplicas: 1 },
      }),
    ).toMatchObject({ DESIRED: 3, CURRENT: 3, READY: 1, SELECTOR: 'app=web' });
    expect(
      row('StatefulSet', {
        metadata: meta('db'),
        spec: { replicas: 2, selector, template },
        status: { readyReplicas: 1 },
      }),
    ).toEqual({
      NAME: 'db',
      READY: '1/2',
      AGE: '2d3h',
      CONTAINERS: 'nginx,log',
      IMAGES: 'nginx:1.27,busybox',
    });
    const dsTemplate = {
      ...template,
      spec: { ...template.spec, nodeSelector: { 'kubernetes.io/os': 'linux' } },
    };
    expect(
      row('DaemonSet', {
        metadata: meta('agent'),
        spec: { selector, template: dsTemplate },
        status: {
          desiredNumberScheduled: 3,
          currentNumberScheduled: 3,
          numberReady: 2,
          updatedNumberScheduled: 3,
          numberAvailable: 2,
        },
      }),
    ).toEqual({
      NAME: 'agent',
      DESIRED: 3,
      CURRENT: 3,
      READY: 2,
      'UP-TO-DATE': 3,
      AVAILABLE: 2,
      'NODE SELECTOR': 'kubernetes.io/os=linux',
      AGE: '2d3h',
      CONTAINERS: 'nginx,log',
      IMAGES: 'nginx:1.27,busybox',
      SELECTOR: 'app=web',
    });
    expect(
      row('ReplicationController', {
        metadata: meta('rc'),
        spec: { replicas: 1, selector: { app: 'web' }, template },
        status: { replicas: 1, readyReplicas: 1 },
      }),
    ).toMatchObject({ DESIRED: 1, READY: 1, SELECTOR: 'app=web' });
  });

  it.each([
    {
      name: 'running',
      spec: { completions: 3, parallelism: 1 },
      status: { succeeded: 1, startTime: '2026-03-01T11:58:00Z' },
      want: { STATUS: 'Running', COMPLETIONS: '1/3', DURATION: '2m' },
    },
    {
      name: 'complete',
      spec: { completions: 1 },
      status: {
        succeeded: 1,
        startTime: '2026-03-01T11:00:00Z',
        completionTime: '2026-03-01T11:00:42Z',
        conditions: [{ type: 'Complete', status: 'True' }],
      },
      want: { STATUS: 'Complete', COMPLETIONS: '1/1', DURATION: '42s' },
    },
    {
      name: 'failed',
      spec: { completions: 1 },
      status: { failed: 1, conditions: [{ type: 'Failed', status: 'True' }] },
      want: { STATUS: 'Failed', COMPLETIONS: '0/1', DURATION: '' },
    },
    {
      name: 'work queue',
      spec: { parallelism: 4 },
      status: { succeeded: 2, conditions: [{ type: 'Suspended', status: 'True' }] },
      want: { STATUS: 'Suspended', COMPLETIONS: '2/1 of 4' },
    },
  ])('jobs: $name', ({ spec, status, want }) => {
    expect(
      row('Job', {
        metadata: meta('job'),
        spec: {
          ...spec,
          selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } },
          template,
        },
        status,
      }),
    ).toMatchObject({ ...want, SELECTOR: 'batch.kubernetes.io/controller-uid=u1' });
  });

  it('cron jobs', () => {
    const cj = {
      metadata: meta('nightly'),
      spec: { schedule: '0 3 * * *', suspend: false, jobTemplate: { spec: { template } } },
      status: { active: [{ name: 'nightly-1' }], lastScheduleTime: '2026-03-01T03:00:00Z' },
    };
    expect(row('CronJob', cj)).toEqual({
      NAME: 'nightly',
      SCHEDULE: '0 3 * * *',
      TIMEZONE: '<none>',
      SUSPEND: 'False',
      ACTIVE: 1,
      'LAST SCHEDULE': '9h',
      AGE: '2d3h',
      CONTAINERS: 'nginx,log',
      IMAGES: 'nginx:1.27,busybox',
      SELECTOR: '<none>',
    });
    expect(
      row('CronJob', {
        metadata: meta('x'),
        spec: { schedule: '@hourly', timeZone: 'Etc/UTC', jobTemplate: { spec: { template } } },
        status: {},
      }),
    ).toMatchObject({
      TIMEZONE: 'Etc/UTC',
      SUSPEND: '<unset>',
      ACTIVE: 0,
      'LAST SCHEDULE': '<none>',
    });
  });

  it('horizontal pod autoscalers (v2 and v1)', () => {
    const v2 = {
      metadata: meta('web'),
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'web' },
        minReplicas: 1,
        maxReplicas: 5,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
          },
        ],
      },
      status: {
        currentReplicas: 2,
        currentMetrics: [
          { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 42 } } },
        ],
      },
    };
    expect(row('HorizontalPodAutoscaler', v2)).toEqual({
      NAME: 'web',
      REFERENCE: 'Deployment/web',
      TARGETS: 'cpu: 42%/80%',
      MINPODS: '1',
      MAXPODS: 5,
      REPLICAS: 2,
      AGE: '2d3h',
    });
    const v1 = {
      metadata: meta('old'),
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'old' },
        maxReplicas: 3,
        targetCPUUtilizationPercentage: 50,
      },
      status: { currentReplicas: 1 },
    };
    expect(row('HorizontalPodAutoscaler', v1)).toMatchObject({
      TARGETS: 'cpu: <unknown>/50%',
      MINPODS: '<unset>',
    });
  });

  it('controller revisions', () => {
    const cr = {
      metadata: meta('agent-7f9', {
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'u', controller: true },
        ],
      }),
      revision: 2,
      data: {},
    };
    expect(row('ControllerRevision', cr)).toEqual({
      NAME: 'agent-7f9',
      CONTROLLER: 'daemonset.apps/agent',
      REVISION: 2,
      AGE: '2d3h',
    });
    expect(row('ControllerRevision', { metadata: meta('orphan'), revision: 1 })).toMatchObject({
      CONTROLLER: '<none>',
    });
  });
});
