import { describe, expect, it } from 'vitest';
import type { Container, PodSpec } from '../index.ts';
import { podRequests } from './pod-resources.ts';

const c = (name: string, requests: Record<string, string>, restartPolicy?: string): Container => ({
  name,
  image: 'x',
  resources: { requests },
  ...(restartPolicy === undefined ? {} : { restartPolicy }),
});

describe('podRequests', () => {
  it.each<[string, PodSpec, Record<string, bigint>]>([
    [
      'sums app containers',
      { containers: [c('a', { cpu: '100m', memory: '64Mi' }), c('b', { cpu: '250m' })] },
      { cpu: 350n, memory: 64n * 1024n * 1024n * 1000n },
    ],
    [
      'takes a larger init container',
      { containers: [c('a', { cpu: '100m' })], initContainers: [c('i', { cpu: '1' })] },
      { cpu: 1000n },
    ],
    [
      'keeps app containers when they are larger',
      { containers: [c('a', { cpu: '2' })], initContainers: [c('i', { cpu: '1' })] },
      { cpu: 2000n },
    ],
    [
      'adds sidecars to the app containers',
      {
        containers: [c('a', { cpu: '100m' })],
        initContainers: [c('s', { cpu: '200m' }, 'Always')],
      },
      { cpu: 300n },
    ],
    [
      'counts sidecars started before a plain init container',
      {
        containers: [c('a', { cpu: '100m' })],
        initContainers: [c('s', { cpu: '500m' }, 'Always'), c('i', { cpu: '1' })],
      },
      { cpu: 1500n },
    ],
    [
      'adds the pod overhead',
      { containers: [c('a', { cpu: '100m' })], overhead: { cpu: '50m' } },
      { cpu: 150n },
    ],
    ['is empty without requests', { containers: [{ name: 'a', image: 'x' }] }, {}],
  ])('%s', (_name, spec, expected) => {
    expect(podRequests(spec)).toEqual(expected);
  });
});
