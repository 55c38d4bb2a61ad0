import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Container } from '../../sdk/api/core/container.ts';
import type { Pod } from '../../sdk/api/core/pod.ts';
import { nodeConditions } from './node.ts';
import {
  containerConfig,
  linuxResources,
  podDnsConfig,
  pullPolicy,
  sandboxConfig,
  seccompProfile,
} from './runtime-objects.ts';

describe('pullPolicy', () => {
  it.each([
    ['nginx', undefined, 'Always'],
    ['nginx:latest', undefined, 'Always'],
    ['nginx:1.7.9', undefined, 'IfNotPresent'],
    ['registry.local:5000/team/app', undefined, 'Always'],
    ['registry.local:5000/team/app:v2', undefined, 'IfNotPresent'],
    ['nginx@sha256:abc', undefined, 'IfNotPresent'],
    ['nginx:1.7.9', 'Always', 'Always'],
    ['nginx', 'Never', 'Never'],
  ])('%s with %s pulls %s', (image, policy, want) => {
    expect(pullPolicy({ name: 'c', image, imagePullPolicy: policy })).toBe(want);
  });
});

describe('linuxResources', () => {
  it.each<[string, Container['resources'], object]>([
    ['nothing set', undefined, { cpuShares: '2' }],
    ['a cpu request', { requests: { cpu: '250m' } }, { cpuShares: '256' }],
    [
      'cpu and memory limits',
      { limits: { cpu: '1500m', memory: '64Mi' } },
      {
        cpuShares: '1536',
        cpuPeriod: '100000',
        cpuQuota: '150000',
        memoryLimitInBytes: '67108864',
      },
    ],
    [
      'a tiny cpu limit',
      { limits: { cpu: '1m' } },
      { cpuShares: '2', cpuPeriod: '100000', cpuQuota: '1000' },
    ],
  ])('%s', (_name, resources, want) => {
    expect(linuxResources({ name: 'c', resources })).toEqual(want);
  });
});

const pod = (spec: Partial<NonNullable<Pod['spec']>> = {}): Pod => ({
  metadata: { name: 'web', namespace: 'shop', uid: 'u-1', labels: { app: 'web' } },
  spec: {
    containers: [
      { name: 'app', image: 'nginx:1.7.9', ports: [{ containerPort: 80, hostPort: 8080 }] },
    ],
    ...spec,
  },
});

describe('podDnsConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-dns-'));
  const host = join(dir, 'resolv.conf');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(host, 'nameserver 192.168.1.1\nsearch lan\noptions edns0\n');
  const settings = (clusterDNS: string[]) => ({
    clusterDNS,
    clusterDomain: 'cluster.local',
    hostResolvConf: host,
  });

  it.each<[string, Partial<NonNullable<Pod['spec']>>, string[], object]>([
    [
      'ClusterFirst with cluster DNS',
      {},
      ['10.96.0.10'],
      {
        servers: ['10.96.0.10'],
        searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'lan'],
        options: ['ndots:5'],
      },
    ],
    [
      'ClusterFirst without cluster DNS falls back to the host',
      {},
      [],
      { servers: ['192.168.1.1'], searches: ['lan'], options: ['edns0'] },
    ],
    [
      'Default',
      { dnsPolicy: 'Default' },
      ['10.96.0.10'],
      { servers: ['192.168.1.1'], searches: ['lan'], options: ['edns0'] },
    ],
    [
      'None with dnsConfig',
      {
        dnsPolicy: 'None',
        dnsConfig: {
          nameservers: ['1.1.1.1'],
          searches: ['x.y'],
          options: [{ name: 'ndots', value: '2' }, { name: 'rotate' }],
        },
      },
      ['10.96.0.10'],
      { servers: ['1.1.1.1'], searches: ['x.y'], options: ['ndots:2', 'rotate'] },
    ],
    [
      'dnsConfig merged, its options winning',
      { dnsConfig: { searches: ['extra'], options: [{ name: 'ndots', value: '1' }] } },
      ['10.96.0.10'],
      {
        servers: ['10.96.0.10'],
        searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'lan', 'extra'],
        options: ['ndots:1'],
      },
    ],
  ])('%s', (_name, spec, clusterDNS, want) => {
    expect(podDnsConfig(pod(spec), settings(clusterDNS))).toEqual(want);
  });
});

describe('sandbox and container configs', () => {
  const dns = { clusterDNS: [], clusterDomain: 'cluster.local', hostResolvConf: '/nonexistent' };

  it('label the sandbox with the pod, map host ports and name the log directory', () => {
    const c = sandboxConfig(pod(), 2, '/var/lib/agent', dns, 'h1');
    expect(c.metadata).toEqual({ name: 'web', namespace: 'shop', uid: 'u-1', attempt: 2 });
    expect(c.hostname).toBe('web');
    expect(c.logDirectory).toBe('/var/lib/agent/pods/shop_web_u-1');
    expect(c.labels).toEqual({
      app: 'web',
      'io.kubernetes.pod.name': 'web',
      'io.kubernetes.pod.namespace': 'shop',
      'io.kubernetes.pod.uid': 'u-1',
    });
    expect(c.annotations).toEqual({ 'skiff.io/pod-spec-hash': 'h1' });
    expect(c.portMappings).toEqual([
      { protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIp: '' },
    ]);
  });

  it('label the container, name its log by attempt and carry the resolved command', () => {
    const p = pod();
    const c = containerConfig(
      p,
      p.spec?.containers[0] as Container,
      3,
      { env: [{ key: 'A', value: '1' }], command: ['sh'], args: ['-c', 'x'] },
      'nginx:1.7.9',
      '/var/lib/skiff',
    );
    expect(c.metadata).toEqual({ name: 'app', attempt: 3 });
    expect(c.logPath).toBe('app/3.log');
    expect(c.labels?.['io.kubernetes.container.name']).toBe('app');
    expect(c.labels?.['io.kubernetes.pod.uid']).toBe('u-1');
    expect(c.envs).toEqual([{ key: 'A', value: '1' }]);
    expect([c.command, c.args]).toEqual([['sh'], ['-c', 'x']]);
  });
});

describe('seccompProfile', () => {
  const withProfiles = (
    podProfile?: { type: string; localhostProfile?: string },
    containerProfile?: { type: string; localhostProfile?: string },
  ) => {
    const p = {
      metadata: { name: 'p' },
      spec: {
        securityContext: podProfile ? { seccompProfile: podProfile } : {},
        containers: [
          {
            name: 'c',
            securityContext: containerProfile ? { seccompProfile: containerProfile } : {},
          },
        ],
      },
    } as Pod;
    return [p, p.spec?.containers[0] as Container] as const;
  };
  it.each([
    ['neither names one: Unconfined', undefined, undefined, { profileType: 'Unconfined' }],
    [
      'the pod asks for the default',
      { type: 'RuntimeDefault' },
      undefined,
      { profileType: 'RuntimeDefault' },
    ],
    [
      'the container overrides the pod',
      { type: 'RuntimeDefault' },
      { type: 'Unconfined' },
      { profileType: 'Unconfined' },
    ],
    [
      'a Localhost profile is a file under <root>/seccomp',
      undefined,
      { type: 'Localhost', localhostProfile: 'profiles/audit.json' },
      { profileType: 'Localhost', localhostRef: '/var/lib/skiff/seccomp/profiles/audit.json' },
    ],
  ])('%s', (_title, podProfile, containerProfile, expected) => {
    const [p, c] = withProfiles(podProfile, containerProfile);
    expect(seccompProfile(p, c, '/var/lib/skiff')).toEqual(expected);
  });
  it('gives the sandbox the pod-level profile', () => {
    const [p] = withProfiles({ type: 'RuntimeDefault' }, { type: 'Unconfined' });
    const dns = { clusterDNS: [], clusterDomain: 'cluster.local', hostResolvConf: '/nonexistent' };
    expect(sandboxConfig(p, 0, '/var/lib/skiff', dns, 'h').linux?.securityContext?.seccomp).toEqual(
      {
        profileType: 'RuntimeDefault',
      },
    );
  });
});

describe('nodeConditions', () => {
  const calm = { memory: false, disk: false, pid: false };
  it('reports Ready with no pressure, and keeps transition times while a status holds', () => {
    const first = nodeConditions(calm, undefined, [], 't1');
    expect(first.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID'],
      ['Ready', 'True', 'KubeletReady'],
    ]);
    const second = nodeConditions(
      { ...calm, disk: true },
      'container runtime is down',
      first,
      't2',
    );
    const byType = Object.fromEntries(second.map((c) => [c.type, c]));
    expect(byType.MemoryPressure).toMatchObject({
      lastTransitionTime: 't1',
      lastHeartbeatTime: 't2',
    });
    expect(byType.DiskPressure).toMatchObject({ status: 'True', lastTransitionTime: 't2' });
    expect(byType.Ready).toMatchObject({
      status: 'False',
      reason: 'KubeletNotReady',
      message: 'container runtime is down',
    });
  });
});
