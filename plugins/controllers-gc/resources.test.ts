import { describe, expect, it } from 'vitest';
import type { ServerResource } from '../../sdk/index.ts';
import { ResourceIndex, resourceKey } from './resources.ts';

const all = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const r = (
  group: string,
  version: string,
  plural: string,
  kind: string,
  over: Partial<ServerResource> = {},
): ServerResource => ({
  group,
  version,
  plural,
  kind,
  namespaced: true,
  verbs: all,
  preferred: true,
  ...over,
});

const index = new ResourceIndex([
  r('', 'v1', 'pods', 'Pod'),
  r('', 'v1', 'namespaces', 'Namespace', { namespaced: false }),
  r('', 'v1', 'events', 'Event'),
  r('events.k8s.io', 'v1', 'events', 'Event'),
  r('apps', 'v1', 'deployments', 'Deployment'),
  r('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler'),
  r('autoscaling', 'v1', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', {
    preferred: false,
  }),
  r('authorization.k8s.io', 'v1', 'selfsubjectreviews', 'SelfSubjectReview', {
    verbs: ['create'],
  }),
  r('example.io', 'v1', 'widgets', 'Widget', { verbs: ['get', 'list', 'delete'] }),
]);

describe('ResourceIndex', () => {
  it('follows the preferred version of what can be listed, watched and deleted, events left out', () => {
    expect(index.collectable().map(resourceKey)).toEqual([
      '/v1/pods',
      '/v1/namespaces',
      'apps/v1/deployments',
      'autoscaling/v2/horizontalpodautoscalers',
    ]);
  });

  it('empties namespaces of every namespaced kind that can be listed and deleted', () => {
    expect(index.namespacedContent().map(resourceKey)).toEqual([
      '/v1/pods',
      '/v1/events',
      'events.k8s.io/v1/events',
      'apps/v1/deployments',
      'autoscaling/v2/horizontalpodautoscalers',
      'example.io/v1/widgets',
    ]);
  });

  it.each([
    ['apps/v1', 'Deployment', 'apps/v1/deployments'],
    ['apps/v1beta2', 'Deployment', 'apps/v1/deployments'],
    ['autoscaling/v1', 'HorizontalPodAutoscaler', 'autoscaling/v2/horizontalpodautoscalers'],
    ['v1', 'Namespace', '/v1/namespaces'],
    ['example.io/v1', 'Gadget', undefined],
    ['v1', 'Deployment', undefined],
  ])('an ownerReference to %s %s resolves to %s', (apiVersion, kind, want) => {
    const found = index.forOwner(apiVersion, kind);
    expect(found === undefined ? undefined : resourceKey(found)).toBe(want);
  });
});
