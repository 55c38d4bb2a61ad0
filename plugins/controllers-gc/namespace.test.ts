import { describe, expect, it } from 'vitest';
import { type ContentReport, deletionConditions, groupResource } from './namespace.ts';

const report = (over: Partial<ContentReport> = {}): ContentReport => ({
  failures: [],
  remaining: new Map(),
  finalizers: new Map(),
  ...over,
});

const byType = (r: ContentReport) =>
  Object.fromEntries(deletionConditions(r).map((c) => [c.type, c]));

describe('namespace deletion conditions', () => {
  it('an emptied namespace reports every condition False with its success reason', () => {
    expect(deletionConditions(report()).map((c) => [c.type, c.status, c.reason])).toEqual([
      ['NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered'],
      ['NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions'],
      ['NamespaceDeletionContentFailure', 'False', 'ContentDeleted'],
      ['NamespaceContentRemaining', 'False', 'ContentRemoved'],
      ['NamespaceFinalizersRemaining', 'False', 'ContentHasNoFinalizers'],
    ]);
  });

  it.each([
    [
      'content remaining, sorted by resource',
      report({
        remaining: new Map([
          ['pods', 2],
          ['deployments.apps', 1],
        ]),
      }),
      'NamespaceContentRemaining',
      'SomeResourcesRemain',
      'Some resources are remaining: deployments.apps has 1 resource instances, pods has 2 resource instances',
    ],
    [
      'finalizers remaining',
      report({ finalizers: new Map([['example.com/hold', 3]]) }),
      'NamespaceFinalizersRemaining',
      'SomeFinalizersRemain',
      'Some content in the namespace has finalizers remaining: example.com/hold in 3 resource instances',
    ],
    [
      'a failed delete',
      report({ failures: ['pods: boom'] }),
      'NamespaceDeletionContentFailure',
      'ContentDeletionFailed',
      'Failed to delete all resource types, 1 remaining: pods: boom',
    ],
    [
      'discovery failing',
      report({ discoveryFailure: 'connection refused' }),
      'NamespaceDeletionDiscoveryFailure',
      'DiscoveryFailed',
      'Discovery failed: connection refused',
    ],
  ])('%s sets %s True', (_label, r, type, reason, message) => {
    expect(byType(r)[type]).toEqual({ type, status: 'True', reason, message });
  });

  it.each([
    [{ group: '', plural: 'pods' }, 'pods'],
    [{ group: 'apps', plural: 'deployments' }, 'deployments.apps'],
  ])('groupResource(%o) is %s', (r, want) => {
    expect(groupResource(r)).toBe(want);
  });
});
