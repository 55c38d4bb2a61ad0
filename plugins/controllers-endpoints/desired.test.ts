import { describe, expect, it } from 'vitest';
import type { api } from '../../sdk/index.ts';
import {
  desiredSlices,
  endpointsSubsets,
  podEndpoints,
  resolvePort,
  sliceName,
} from './desired.ts';

const pod = (
  name: string,
  ip: string | undefined,
  opts: { ready?: boolean; deleting?: boolean; phase?: string; portName?: string } = {},
): api.Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'default',
    uid: `uid-${name}`,
    ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
  },
  spec: {
    nodeName: 'sim-1',
    containers: [
      {
        name: 'c',
        image: 'busybox',
        ports: [{ name: opts.portName ?? 'http', containerPort: opts.portName ? 9090 : 8080 }],
      },
    ],
  },
  status: {
    phase: opts.phase ?? 'Running',
    ...(ip ? { podIP: ip } : {}),
    conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
  },
});

const svc = (spec: api.Service['spec'] = {}): api.Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    selector: { app: 'web' },
    ports: [{ name: 'http', port: 80, targetPort: 'http' }],
    ...spec,
  },
});

describe('resolvePort', () => {
  it.each([
    [{ port: 80 }, 80],
    [{ port: 80, targetPort: 8080 }, 8080],
    [{ port: 80, targetPort: '8081' }, 8081],
    [{ port: 80, targetPort: 'http' }, 8080],
    [{ port: 80, targetPort: 'http', protocol: 'UDP' }, undefined],
    [{ port: 80, targetPort: 'nope' }, undefined],
  ] as [api.ServicePort, number | undefined][])('%j → %s', (port, want) => {
    expect(resolvePort(pod('a', '10.0.0.1'), port)).toBe(want);
  });
});

describe('podEndpoints and endpointsSubsets', () => {
  it('puts ready pods under addresses and not-ready ones under notReadyAddresses, leaving out the rest', () => {
    const members = podEndpoints(svc(), [
      pod('b', '10.0.0.2'),
      pod('a', '10.0.0.1'),
      pod('slow', '10.0.0.3', { ready: false }),
      pod('pending', undefined),
      pod('done', '10.0.0.4', { phase: 'Succeeded' }),
      pod('leaving', '10.0.0.5', { deleting: true }),
    ]);
    expect(members.map((m) => [m.ip, m.ready, m.terminating])).toEqual([
      ['10.0.0.1', true, false],
      ['10.0.0.2', true, false],
      ['10.0.0.3', false, false],
      ['10.0.0.5', false, true],
    ]);
    expect(endpointsSubsets(members)).toEqual([
      {
        addresses: [
          {
            ip: '10.0.0.1',
            nodeName: 'sim-1',
            targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' },
          },
          {
            ip: '10.0.0.2',
            nodeName: 'sim-1',
            targetRef: { kind: 'Pod', namespace: 'default', name: 'b', uid: 'uid-b' },
          },
        ],
        notReadyAddresses: [
          {
            ip: '10.0.0.3',
            nodeName: 'sim-1',
            targetRef: { kind: 'Pod', namespace: 'default', name: 'slow', uid: 'uid-slow' },
          },
        ],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
  });

  it('publishNotReadyAddresses lists not-ready pods as ready', () => {
    const members = podEndpoints(svc({ publishNotReadyAddresses: true }), [
      pod('slow', '10.0.0.3', { ready: false }),
    ]);
    expect(endpointsSubsets(members)?.[0]?.addresses?.map((a) => a.ip)).toEqual(['10.0.0.3']);
  });

  it('pods that resolve a named port differently go to separate subsets and slices', () => {
    const members = podEndpoints(svc(), [pod('a', '10.0.0.1'), pod('b', '10.0.0.2')]);
    expect(endpointsSubsets(members)).toHaveLength(1);
    const other = podEndpoints(svc({ ports: [{ name: 'x', port: 80, targetPort: 'metrics' }] }), [
      pod('a', '10.0.0.1', { portName: 'metrics' }),
      pod('b', '10.0.0.2'),
    ]);
    const slices = desiredSlices(svc(), other);
    expect(slices).toHaveLength(2);
    expect(new Set(slices.map((s) => s.name)).size).toBe(2);
  });
});

describe('desiredSlices', () => {
  it('carries ready, serving and terminating conditions, and keeps one empty slice without pods', () => {
    const members = podEndpoints(svc(), [
      pod('a', '10.0.0.1'),
      pod('leaving', '10.0.0.5', { deleting: true }),
    ]);
    const [slice] = desiredSlices(svc(), members);
    expect(slice?.name).toMatch(/^web-[0-9a-f]{5}$/);
    expect(slice?.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(slice?.endpoints.map((e) => [e.addresses[0], e.conditions])).toEqual([
      ['10.0.0.1', { ready: true, serving: true, terminating: false }],
      ['10.0.0.5', { ready: false, serving: true, terminating: true }],
    ]);
    const empty = desiredSlices(svc(), []);
    expect(empty).toEqual([{ name: expect.stringMatching(/^web-/), ports: [], endpoints: [] }]);
  });

  it('splits a port set into slices of at most 100 endpoints, named stably', () => {
    const many = Array.from({ length: 250 }, (_, i) =>
      pod(`p${i}`, `10.0.${Math.floor(i / 200)}.${i % 200}`),
    );
    const slices = desiredSlices(svc(), podEndpoints(svc(), many));
    expect(slices.map((s) => s.endpoints.length)).toEqual([100, 100, 50]);
    const [first, second, third] = slices.map((s) => s.name);
    expect(second).toBe(`${first}-1`);
    expect(third).toBe(`${first}-2`);
    expect(new Set(slices.flatMap((s) => s.endpoints.map((e) => e.addresses[0]))).size).toBe(250);
    expect(sliceName('x'.repeat(80), '[]', 3)).toHaveLength(63);
  });
});
