import { describe, expect, it } from 'vitest';
import { type api, type Ipv4Cidr, parseIpv4Cidr } from '../../sdk/index.ts';
import { parsePool } from './index.ts';
import { planAssignments } from './pool.ts';

const pool = parseIpv4Cidr('127.0.1.0/30') as Ipv4Cidr;

const svc = (
  name: string,
  created: string,
  spec: api.Service['spec'],
  ips: string[] = [],
): api.Service => ({
  metadata: { name, namespace: 'default', creationTimestamp: created },
  spec,
  status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } },
});

const lb = { type: 'LoadBalancer', clusterIP: '10.43.0.5' };

describe('planAssignments', () => {
  it.each([
    {
      what: 'gives the first free address, never the network or broadcast one',
      services: [svc('a', '1', lb), svc('b', '2', lb), svc('c', '3', lb)],
      changes: [
        { namespace: 'default', name: 'a', ip: '127.0.1.1' },
        { namespace: 'default', name: 'b', ip: '127.0.1.2' },
      ],
      pending: ['default/c'],
    },
    {
      what: 'keeps what Services already report, so a restart changes nothing',
      services: [svc('a', '1', lb, ['127.0.1.2']), svc('b', '2', lb, ['127.0.1.1'])],
      changes: [],
      pending: [],
    },
    {
      what: 'leaves a doubly claimed address with the older Service',
      services: [svc('new', '2', lb, ['127.0.1.1']), svc('old', '1', lb, ['127.0.1.1'])],
      changes: [{ namespace: 'default', name: 'new', ip: '127.0.1.2' }],
      pending: [],
    },
    {
      what: 'honours spec.loadBalancerIP inside the pool and free',
      services: [svc('a', '1', { ...lb, loadBalancerIP: '127.0.1.2' })],
      changes: [{ namespace: 'default', name: 'a', ip: '127.0.1.2' }],
      pending: [],
    },
    {
      what: 'takes the address back from a Service that is no longer a LoadBalancer',
      services: [svc('a', '1', { type: 'ClusterIP' }, ['127.0.1.1']), svc('b', '2', lb)],
      changes: [
        { namespace: 'default', name: 'a', ip: undefined },
        { namespace: 'default', name: 'b', ip: '127.0.1.1' },
      ],
      pending: [],
    },
    {
      what: 'leaves Services of another load-balancer class alone',
      services: [svc('a', '1', { ...lb, loadBalancerClass: 'example.com/lb' })],
      changes: [],
      pending: [],
    },
  ])('$what', ({ services, changes, pending }) => {
    expect(planAssignments(pool, services)).toEqual({ changes, pending });
  });
});

describe('parsePool', () => {
  it('defaults to 127.0.1.0/24 and refuses what is not a CIDR, naming the field', () => {
    expect(parsePool({}).text).toBe('127.0.1.0/24');
    expect(() => parsePool({ pool: '127.0.1.5/24' })).toThrow(/pool .*network address/);
    expect(() => parsePool({ pool: 7 })).toThrow(/pool must be an IPv4 CIDR/);
  });
});
