import { describe, expect, it } from 'vitest';
import { nodeAddresses, PodIpPool } from './addresses.ts';
import { runningPodStatus, simNodeStatus } from './objects.ts';

describe('nodeAddresses', () => {
  it.each([
    [0, '100.64.0.1', '10.64.0.0/24'],
    [1, '100.64.0.2', '10.64.1.0/24'],
    [253, '100.64.0.254', '10.64.253.0/24'],
    [254, '100.64.1.1', '10.64.254.0/24'],
    [256, '100.64.1.3', '10.65.0.0/24'],
    [16383, '100.64.64.128', '10.127.255.0/24'],
  ])('node %i has host %s and pods in %s', (index, hostIP, podCIDR) => {
    expect(nodeAddresses(index)).toMatchObject({ hostIP, podCIDR });
  });

  it('gives every node its own host IP and range', () => {
    const hosts = new Set<string>();
    const ranges = new Set<string>();
    for (let i = 0; i < 16384; i++) {
      const a = nodeAddresses(i);
      hosts.add(a.hostIP);
      ranges.add(a.podCIDR);
    }
    expect([hosts.size, ranges.size]).toEqual([16384, 16384]);
  });

  it.each([-1, 16384, 1.5])('refuses index %d', (index) => {
    expect(() => nodeAddresses(index)).toThrow(RangeError);
  });
});

describe('PodIpPool', () => {
  it('hands out .2 to .254 once each, then nothing, and reuses what is released', () => {
    const pool = new PodIpPool('10.64.3');
    const ips = Array.from({ length: 253 }, () => pool.allocate());
    expect(new Set(ips).size).toBe(253);
    expect(ips[0]).toBe('10.64.3.2');
    expect(ips.at(-1)).toBe('10.64.3.254');
    expect(pool.allocate()).toBeUndefined();
    pool.release('10.64.3.77');
    pool.release('10.64.4.78');
    expect(pool.size).toBe(252);
    expect(pool.allocate()).toBe('10.64.3.77');
  });

  it('skips addresses reserved for pods started before it', () => {
    const pool = new PodIpPool('10.64.0');
    pool.reserve('10.64.0.2');
    pool.reserve('10.64.0.3');
    pool.reserve('10.99.0.4');
    expect(pool.allocate()).toBe('10.64.0.4');
    expect(pool.size).toBe(3);
  });
});

describe('simulated objects', () => {
  it('a node reports its capacity as allocatable, Ready and the sim runtime', () => {
    const status = simNodeStatus('sim-1', '100.64.0.1', {
      cpu: '4',
      memory: '8Gi',
      pods: '50',
    }) as {
      allocatable: object;
      conditions: { type: string; status: string }[];
      nodeInfo: { containerRuntimeVersion: string };
    };
    expect(status.allocatable).toEqual({ cpu: '4', memory: '8Gi', pods: '50' });
    expect(status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(status.nodeInfo.containerRuntimeVersion).toMatch(/^sim:\/\//);
  });

  it('a running pod has one ready status per container and all four conditions', () => {
    const pod = { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b' }] } };
    const status = runningPodStatus(pod, '10.64.0.2', '100.64.0.1') as {
      phase: string;
      podIP: string;
      conditions: { type: string; status: string }[];
      containerStatuses: { name: string; ready: boolean; restartCount: number }[];
    };
    expect(status.phase).toBe('Running');
    expect(status.podIP).toBe('10.64.0.2');
    expect(status.conditions.map((c) => `${c.type}=${c.status}`)).toEqual([
      'PodScheduled=True',
      'Initialized=True',
      'ContainersReady=True',
      'Ready=True',
    ]);
    expect(status.containerStatuses.map((c) => [c.name, c.ready, c.restartCount])).toEqual([
      ['a', true, 0],
      ['b', true, 0],
    ]);
  });
});
