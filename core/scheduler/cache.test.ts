import { describe, expect, it } from 'vitest';
import type { SchedulingNode, SchedulingPod } from '../../sdk/scheduler.ts';
import { SchedulerCache } from './cache.ts';

const makeNode = (name: string, a: { cpu: string; memory?: string }): SchedulingNode =>
  ({
    metadata: { name },
    status: { allocatable: { cpu: a.cpu, memory: a.memory ?? '8Gi', pods: '110' } },
  }) as SchedulingNode;
const makePod = (name: string, r: { cpu: string; memory?: string }): SchedulingPod =>
  ({
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'main', resources: { requests: r } }] },
  }) as SchedulingPod;

describe('SchedulerCache', () => {
  it('keeps the sums when our own binding is confirmed and swaps in the bound object', () => {
    const cache = new SchedulerCache();
    cache.upsertNode(makeNode('n1', { cpu: '4', memory: '8Gi' }));
    const pod = makePod('web', { cpu: '500m', memory: '1Gi' });
    cache.assumePod({ ...pod, spec: { ...pod.spec, nodeName: 'n1' } }, 'n1');
    const assumed = cache.node('n1');
    expect(cache.isAssumed('default/web')).toBe(true);
    const bound = {
      ...pod,
      metadata: { ...pod.metadata, resourceVersion: '42' },
      spec: { ...pod.spec, nodeName: 'n1' },
    };
    cache.upsertPod(bound);
    const info = cache.node('n1');
    expect(cache.isAssumed('default/web')).toBe(false);
    expect(info?.pods).toEqual([bound]);
    expect(info?.requested).toEqual(assumed?.requested);
    expect(info?.nonZeroRequested).toEqual(assumed?.nonZeroRequested);
    // A later removal still frees the node.
    cache.removePod('default/web');
    expect(cache.node('n1')?.pods).toEqual([]);
    expect(cache.node('n1')?.requested.pods).toBe(0);
  });

  it('moves a pod bound elsewhere than assumed to the node the binding names', () => {
    const cache = new SchedulerCache();
    cache.upsertNode(makeNode('n1', { cpu: '4' }));
    cache.upsertNode(makeNode('n2', { cpu: '4' }));
    const pod = makePod('web', { cpu: '1' });
    cache.assumePod({ ...pod, spec: { ...pod.spec, nodeName: 'n1' } }, 'n1');
    cache.upsertPod({ ...pod, spec: { ...pod.spec, nodeName: 'n2' } });
    expect(cache.node('n1')?.pods).toEqual([]);
    expect(cache.node('n2')?.pods.map((p) => p.metadata.name)).toEqual(['web']);
    expect(cache.node('n1')?.requested.cpu ?? 0).toBe(0);
    expect(cache.node('n2')?.requested.cpu).toBe(1000);
  });

  it('lists the nodes holding pods with required anti-affinity as pods come and go', () => {
    const cache = new SchedulerCache();
    cache.upsertNode(makeNode('n1', { cpu: '4' }));
    cache.upsertNode(makeNode('n2', { cpu: '4' }));
    const loner = makePod('loner', { cpu: '1' });
    const anti = {
      ...loner,
      spec: {
        ...loner.spec,
        nodeName: 'n2',
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { a: 'b' } } },
            ],
          },
        },
      },
    } as SchedulingPod;
    const names = () => cache.nodesWithRequiredAntiAffinity().map((n) => n.name);
    cache.upsertPod({ ...makePod('plain', { cpu: '1' }), spec: { ...loner.spec, nodeName: 'n1' } });
    expect(names()).toEqual([]);
    cache.upsertPod(anti);
    expect(names()).toEqual(['n2']);
    cache.upsertNode(makeNode('n2', { cpu: '8' }));
    expect(names()).toEqual(['n2']);
    cache.removePod('default/loner');
    expect(names()).toEqual([]);
    cache.upsertPod(anti);
    cache.removeNode('n2');
    expect(names()).toEqual([]);
  });
});
