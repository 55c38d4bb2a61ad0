import { describe, expect, it } from 'vitest';
import { allocateIp, gatewayOf, macOf, parseSubnet, type Subnet, tapName } from './network.ts';

describe('parseSubnet', () => {
  it.each([
    ['10.90.0.0/18', { base: 10 * 2 ** 24 + 90 * 2 ** 16, prefix: 18 }],
    ['10.90.1.7/24', { base: 10 * 2 ** 24 + 90 * 2 ** 16 + 256, prefix: 24 }],
    ['10.90.0.0/31', { error: 'subnet "10.90.0.0/31" is not an IPv4 range a.b.c.d/8..30' }],
    ['10.300.0.0/16', { error: 'subnet "10.300.0.0/16" is not an IPv4 range a.b.c.d/8..30' }],
    ['fd00::/64', { error: 'subnet "fd00::/64" is not an IPv4 range a.b.c.d/8..30' }],
  ])('%s', (cidr, want) => {
    expect(parseSubnet(cidr)).toEqual(want);
  });
});

describe('allocateIp', () => {
  const subnet = parseSubnet('10.90.0.0/29') as Subnet;

  it('skips the network and gateway, keeps a holder its address and fills gaps', () => {
    expect(gatewayOf(subnet)).toBe('10.90.0.1');
    expect(allocateIp(subnet, {}, 'a')).toBe('10.90.0.2');
    expect(allocateIp(subnet, { a: '10.90.0.2' }, 'a')).toBe('10.90.0.2');
    expect(allocateIp(subnet, { a: '10.90.0.2', c: '10.90.0.4' }, 'b')).toBe('10.90.0.3');
  });

  it('never hands out the broadcast address, and says when the range is full', () => {
    const full = { a: '10.90.0.2', b: '10.90.0.3', c: '10.90.0.4', d: '10.90.0.5' };
    expect(allocateIp(subnet, full, 'e')).toBe('10.90.0.6');
    expect(allocateIp(subnet, { ...full, e: '10.90.0.6' }, 'f')).toBeUndefined();
  });
});

describe('names', () => {
  it('derives a locally administered MAC and a tap name Linux accepts', () => {
    expect(macOf('10.90.1.2')).toBe('02:53:0a:5a:01:02');
    expect(tapName('0123456789abcdef0123')).toBe('skt0123456789ab');
    expect(tapName('0123456789abcdef0123').length).toBeLessThanOrEqual(15);
  });
});
