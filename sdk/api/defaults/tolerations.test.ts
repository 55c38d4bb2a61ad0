import { describe, expect, it } from 'vitest';
import { builtinKindRegistry } from '../builtin-kinds.ts';
import type { PodSpec } from '../core/pod.ts';
import type { KubeObject } from '../meta.ts';
import { defaultTolerationsInPlace } from './pod.ts';

const notReady = {
  key: 'node.kubernetes.io/not-ready',
  operator: 'Exists',
  effect: 'NoExecute',
  tolerationSeconds: 300,
};
const unreachable = { ...notReady, key: 'node.kubernetes.io/unreachable' };

describe('defaultTolerationsInPlace', () => {
  it.each([
    ['no tolerations', undefined, [notReady, unreachable]],
    [
      'an unrelated one',
      [{ key: 'gpu', operator: 'Exists' }],
      [{ key: 'gpu', operator: 'Exists' }, notReady, unreachable],
    ],
    [
      'its own not-ready toleration',
      [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 5,
        },
      ],
      [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 5,
        },
        unreachable,
      ],
    ],
    ['a toleration of everything', [{ operator: 'Exists' }], [{ operator: 'Exists' }]],
    [
      'a NoSchedule-only toleration of unreachable (does not cover NoExecute)',
      [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }],
      [
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' },
        notReady,
        unreachable,
      ],
    ],
  ])('with %s', (_what, tolerations, want) => {
    const spec = { containers: [], ...(tolerations ? { tolerations } : {}) } as PodSpec;
    defaultTolerationsInPlace(spec);
    expect(spec.tolerations).toEqual(want);
    defaultTolerationsInPlace(spec);
    expect(spec.tolerations).toEqual(want);
  });

  it('is applied to created pods and not to pod templates', () => {
    const kinds = builtinKindRegistry();
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    } as KubeObject;
    const defaulted = kinds.get('v1', 'Pod')?.default(pod);
    expect((defaulted as { spec: PodSpec }).spec.tolerations).toEqual([notReady, unreachable]);
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { selector: {}, template: { spec: { containers: [{ name: 'c', image: 'x' }] } } },
    } as KubeObject;
    const d = kinds.get('apps/v1', 'Deployment')?.default(deployment);
    expect(
      (d as { spec: { template: { spec: PodSpec } } }).spec.template.spec.tolerations,
    ).toBeUndefined();
  });
});
