import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../sdk/api/meta.ts';
import { nodeForbiddenLabel, nodeRestriction } from './node-restriction.ts';

describe('nodeForbiddenLabel', () => {
  it.each([
    ['plain', false],
    ['example.com/team', false],
    ['kubernetes.io/hostname', false],
    ['topology.kubernetes.io/zone', false],
    ['node.kubernetes.io/instance-type', false],
    ['node.kubernetes.io/anything', false],
    ['sub.kubelet.kubernetes.io/x', false],
    ['node-restriction.kubernetes.io/pool', true],
    ['a.node-restriction.kubernetes.io/pool', true],
    ['node-role.kubernetes.io/control-plane', true],
    ['kubernetes.io/role', true],
    ['k8s.io/x', true],
    ['other.k8s.io/x', true],
    ['notkubernetes.io/x', false],
  ])('%s -> %s', (key, forbidden) => {
    expect(nodeForbiddenLabel(key)).toBe(forbidden);
  });
});

const n = (labels: Record<string, string>, taints?: unknown[]): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1', labels },
    ...(taints === undefined ? {} : { spec: { taints } }),
  }) as KubeObject;
const taint = { key: 'k', value: 'v', effect: 'NoSchedule' };

describe('nodeRestriction', () => {
  it.each<[string, KubeObject | undefined, KubeObject, string | undefined]>([
    [
      'create with kubelet labels and taints',
      undefined,
      n({ 'kubernetes.io/os': 'linux' }, [taint]),
      undefined,
    ],
    [
      'create with forbidden labels',
      undefined,
      n({ 'node-role.kubernetes.io/worker': '', 'node-restriction.kubernetes.io/a': 'b', x: 'y' }),
      'nodes "n1" is forbidden: node "n1" is not allowed to set the following labels: node-restriction.kubernetes.io/a, node-role.kubernetes.io/worker',
    ],
    ['update ordinary labels', n({ x: 'y' }), n({ x: 'z', w: '1' }), undefined],
    [
      'update keeping taints',
      n({}, [taint]),
      n({ x: 'y' }, [{ effect: 'NoSchedule', value: 'v', key: 'k' }]),
      undefined,
    ],
    ['no taints either way', n({}), n({}, []), undefined],
    [
      'add a taint',
      n({}),
      n({}, [taint]),
      'nodes "n1" is forbidden: node "n1" is not allowed to modify taints',
    ],
    [
      'remove a taint',
      n({}, [taint]),
      n({}),
      'nodes "n1" is forbidden: node "n1" is not allowed to modify taints',
    ],
    [
      'remove a forbidden label',
      n({ 'node-restriction.kubernetes.io/a': 'b' }),
      n({}),
      'nodes "n1" is forbidden: node "n1" is not allowed to modify labels: node-restriction.kubernetes.io/a',
    ],
    [
      'change a forbidden label',
      n({ 'kubernetes.io/role': 'a' }),
      n({ 'kubernetes.io/role': 'b' }),
      'nodes "n1" is forbidden: node "n1" is not allowed to modify labels: kubernetes.io/role',
    ],
    [
      'keep a forbidden label set by an admin',
      n({ 'kubernetes.io/role': 'a' }),
      n({ 'kubernetes.io/role': 'a', x: '1' }),
      undefined,
    ],
  ])('%s', (_name, prev, next, message) => {
    const refused = nodeRestriction('n1', prev, next);
    if (message === undefined) expect(refused).toBeUndefined();
    else {
      expect(refused?.code).toBe('Forbidden');
      expect(refused?.message).toBe(message);
    }
  });
});
