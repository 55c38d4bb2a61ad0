import { describe, expect, it } from 'vitest';
import {
  cidrContains,
  dnsServiceOffset,
  parseIpv4Cidr,
  parsePortRange,
  podDnsConfig,
  resolvConf,
  serviceAddress,
} from './service-network.ts';

describe('service network', () => {
  it('places the DNS Service at .10 of the range', () => {
    const cidr = parseIpv4Cidr('10.43.0.0/16');
    if ('error' in cidr) throw new Error(cidr.error);
    expect(serviceAddress(cidr, dnsServiceOffset)).toBe('10.43.0.10');
    expect(cidrContains(cidr, '10.43.255.254')).toBe(true);
    expect(cidrContains(cidr, '10.44.0.1')).toBe(false);
    expect(() => serviceAddress(cidr, 65535)).toThrow('outside the usable addresses');
  });

  it.each(['10.43.0.0', '10.43.0.0/33', '300.1.1.0/24', '10.43.0.1/16'])(
    'refuses the CIDR %s',
    (text) => {
      expect(parseIpv4Cidr(text)).toHaveProperty('error');
    },
  );

  it.each(['30000', '5-1', '1-70000', 'a-b'])('refuses the port range %s', (text) => {
    expect(parsePortRange(text)).toHaveProperty('error');
  });

  it('writes a ClusterFirst resolv.conf with the namespace first in the search path', () => {
    expect(resolvConf(podDnsConfig('shop', '10.43.0.10'))).toBe(
      'nameserver 10.43.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n',
    );
  });
});
