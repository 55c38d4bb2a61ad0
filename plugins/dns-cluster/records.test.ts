import { describe, expect, it } from 'vitest';
import type { api } from '../../sdk/index.ts';
import { parseDnsConfig } from './index.ts';
import { answerCluster, type DnsSources, inDomain } from './records.ts';

const services: Record<string, api.Service> = {
  'default/web': {
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      clusterIP: '10.43.1.2',
      clusterIPs: ['10.43.1.2'],
      ports: [{ name: 'http', port: 80 }],
    },
  },
  'default/v6': {
    metadata: { name: 'v6', namespace: 'default' },
    spec: { clusterIP: 'None', ports: [{ name: 'udp', port: 53, protocol: 'UDP' }] },
  },
  'default/ext': {
    metadata: { name: 'ext', namespace: 'default' },
    spec: { type: 'ExternalName', externalName: 'db.example.org.' },
  },
};
const endpoints: Record<string, api.Endpoints> = {
  'default/v6': {
    metadata: { name: 'v6', namespace: 'default' },
    subsets: [
      {
        addresses: [{ ip: 'fd00::5' }, { ip: '10.42.0.5' }],
        notReadyAddresses: [{ ip: '10.42.0.6' }],
        ports: [{ name: 'udp', port: 5353, protocol: 'UDP' }],
      },
    ],
  },
};
const src: DnsSources = {
  service: (ns, name) => services[`${ns}/${name}`],
  endpoints: (ns, name) => endpoints[`${ns}/${name}`],
};
const opts = { domain: 'cluster.local', ttl: 5 };
const ask = (name: string, type: string) => answerCluster(name, type, src, opts);
const datas = (name: string, type: string) =>
  ask(name, type).answers.map((a) => (a as { data: unknown }).data);

describe('answerCluster', () => {
  it.each([
    ['web.default.svc.cluster.local', 'A', ['10.43.1.2']],
    ['web.default.svc.cluster.local', 'AAAA', []],
    ['v6.default.svc.cluster.local', 'A', ['10.42.0.5']],
    ['v6.default.svc.cluster.local', 'AAAA', ['fd00::5']],
    ['fd00--5.v6.default.svc.cluster.local', 'AAAA', ['fd00::5']],
    ['ext.default.svc.cluster.local', 'AAAA', ['db.example.org']],
    ['10-1-2-3.kube-system.pod.cluster.local', 'A', ['10.1.2.3']],
    [
      '_udp._udp.v6.default.svc.cluster.local',
      'SRV',
      [
        { priority: 0, weight: 100, port: 5353, target: 'fd00--5.v6.default.svc.cluster.local' },
        { priority: 0, weight: 100, port: 5353, target: '10-42-0-5.v6.default.svc.cluster.local' },
      ],
    ],
    [
      'web.default.svc.cluster.local',
      'SRV',
      [{ priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }],
    ],
  ])('%s %s', (name, type, want) => {
    const r = ask(name, type);
    expect(r.rcode).toBe('NOERROR');
    expect(datas(name, type)).toEqual(want);
    if ((want as unknown[]).length === 0) expect(r.authorities[0]?.type).toBe('SOA');
  });

  it.each([
    'missing.default.svc.cluster.local',
    '_http._udp.web.default.svc.cluster.local',
    'x.web.default.svc.cluster.local',
    '999-1-2-3.default.pod.cluster.local',
    'default.svc.cluster.local.extra.cluster.local',
    'sub.ext.default.svc.cluster.local',
  ])('%s is NXDOMAIN with the SOA', (name) => {
    const r = ask(name, 'A');
    expect(r.rcode).toBe('NXDOMAIN');
    expect(r.authorities[0]).toMatchObject({ type: 'SOA', name: 'cluster.local' });
  });

  it('tells cluster names from others', () => {
    expect(inDomain('cluster.local', 'cluster.local')).toBe(true);
    expect(inDomain('a.cluster.local', 'cluster.local')).toBe(true);
    expect(inDomain('notcluster.local', 'cluster.local')).toBe(false);
  });
});

describe('parseDnsConfig', () => {
  it('defaults to 0.0.0.0:53, cluster.local and the server settings', () => {
    const c = parseDnsConfig(
      { upstreams: [] },
      { serviceCIDR: '10.96.0.0/12', clusterDomain: 'corp.local' },
    );
    expect(c).toEqual({
      listen: { host: '0.0.0.0', port: 53 },
      domain: 'corp.local',
      upstreams: [],
      serviceCidr: '10.96.0.0/12',
    });
    expect(parseDnsConfig({ listen: '[::1]:5353', upstreams: ['10.0.0.2'] }).listen).toEqual({
      host: '::1',
      port: 5353,
    });
  });

  it.each([
    [{ listen: 'nope' }, 'dns-cluster config: listen must be "host:port"'],
    [{ listen: '0.0.0.0:70000' }, 'listen must be "host:port"'],
    [{ clusterDomain: 'Bad_Domain' }, 'clusterDomain must be a lower-case DNS name'],
    [{ upstreams: 'x' }, 'upstreams must be a list'],
    [{ serviceCIDR: 10 }, 'serviceCIDR must be an IPv4 CIDR'],
  ])('refuses %j', (config, message) => {
    expect(() => parseDnsConfig(config)).toThrow(message);
  });
});
