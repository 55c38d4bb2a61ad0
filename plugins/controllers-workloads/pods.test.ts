import { describe, expect, it } from 'vitest';
import type { api } from '../../sdk/index.ts';
import { deploymentStatus } from './deployment-status.ts';
import { availableInMs, deletionOrder } from './pods.ts';

const pod = (
  name: string,
  o: { node?: string; phase?: string; readySince?: string; created?: string } = {},
): api.Pod => ({
  metadata: { name, creationTimestamp: o.created ?? '2026-01-01T00:00:00Z' },
  spec: { containers: [], nodeName: o.node },
  status: {
    phase: o.phase ?? 'Pending',
    conditions: o.readySince
      ? [{ type: 'Ready', status: 'True', lastTransitionTime: o.readySince }]
      : [],
  },
});

describe('pod facts', () => {
  it('orders deletion: unscheduled, pending, not ready, most recently ready, newest', () => {
    const pods = [
      pod('old-ready', { node: 'n', phase: 'Running', readySince: '2026-01-01T00:01:00Z' }),
      pod('new-ready', { node: 'n', phase: 'Running', readySince: '2026-01-01T00:05:00Z' }),
      pod('running-unready', { node: 'n', phase: 'Running' }),
      pod('pending', { node: 'n' }),
      pod('unscheduled', { phase: 'Running' }),
      pod('newer-unscheduled', { phase: 'Running', created: '2026-01-02T00:00:00Z' }),
    ];
    expect([...pods].sort(deletionOrder).map((p) => p.metadata?.name)).toEqual([
      'newer-unscheduled',
      'unscheduled',
      'pending',
      'running-unready',
      'new-ready',
      'old-ready',
    ]);
  });

  it.each([
    [0, undefined, 0],
    [10, '2026-01-01T00:00:05Z', 0],
    [10, '2026-01-01T00:00:08Z', 3000],
  ])('minReadySeconds %i, ready since %s: available in %i ms', (min, since, want) => {
    const now = Date.parse('2026-01-01T00:00:15Z');
    const p = pod('p', { phase: 'Running', readySince: since ?? '2026-01-01T00:00:00Z' });
    expect(availableInMs(p, min, now)).toBe(want);
  });

  it('a pod that is not ready is never available', () => {
    expect(availableInMs(pod('p'), 0, Date.now())).toBeUndefined();
  });
});

describe('deploymentStatus', () => {
  const rs = (name: string, replicas: number, available: number): api.ReplicaSet => ({
    metadata: { name },
    spec: { selector: {}, replicas },
    status: { replicas, readyReplicas: available, availableReplicas: available },
  });
  const d: api.Deployment = {
    metadata: { name: 'd', generation: 3 },
    spec: { replicas: 4, selector: {}, template: {} },
  };
  const at = new Date('2026-01-01T00:00:00Z');

  it('counts a rollout in progress and says so', () => {
    const s = deploymentStatus(d, rs('new', 2, 1), [rs('new', 2, 1), rs('old', 3, 3)], 1, at);
    expect(s).toMatchObject({
      observedGeneration: 3,
      replicas: 5,
      updatedReplicas: 2,
      readyReplicas: 4,
      availableReplicas: 4,
      unavailableReplicas: 1,
    });
    expect(s?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'ReplicaSetUpdated'],
    ]);
  });

  it('reports a finished rollout, and nothing to write when the stored status says the same', () => {
    const n = rs('new', 4, 4);
    const s = deploymentStatus(d, n, [n], 1, at);
    expect(s?.conditions?.[1]?.reason).toBe('NewReplicaSetAvailable');
    expect(deploymentStatus({ ...d, status: s }, n, [n], 1, new Date())).toBeUndefined();
  });

  it('is unavailable below replicas minus maxUnavailable', () => {
    const n = rs('new', 4, 2);
    const s = deploymentStatus(d, n, [n], 1, at);
    expect(s?.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
    });
  });
});
