import { describe, expect, it } from 'vitest';
import { SkiffError } from '../../sdk/errors.ts';
import { cniPortMappings } from './port-mappings.ts';

type Input = Parameters<typeof cniPortMappings>[0][number];
const m = (over: Partial<Input>): Input => ({
  protocol: 'TCP',
  containerPort: 80,
  hostPort: 8080,
  hostIp: '',
  ...over,
});

describe('cniPortMappings', () => {
  it.each([
    ['tcp without host IP', [m({})], [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }]],
    [
      'udp on one address',
      [m({ protocol: 'UDP', hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53 })],
      [{ hostPort: 5353, containerPort: 53, protocol: 'udp', hostIP: '127.0.0.1' }],
    ],
    ['no host port publishes nothing', [m({ hostPort: 0 })], []],
    [
      'same port over tcp and udp',
      [m({}), m({ protocol: 'UDP' })],
      [
        { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
        { hostPort: 8080, containerPort: 80, protocol: 'udp' },
      ],
    ],
  ] as const)('maps %s', (_name, input, want) => {
    expect(cniPortMappings(input as unknown as Input[])).toEqual(want);
  });

  it.each([
    ['a host port past 65535', [m({ hostPort: 70000 })], /between 1 and 65535/],
    ['a container port of 0', [m({ containerPort: 0 })], /between 1 and 65535/],
    ['a host IP that is no address', [m({ hostIp: 'localhost' })], /not an IP address/],
    ['an unknown protocol', [m({ protocol: 'ICMP' as Input['protocol'] })], /not TCP, UDP or SCTP/],
    ['the same host port twice', [m({}), m({ containerPort: 81 })], /mapped twice/],
  ] as const)('refuses %s', (_name, input, message) => {
    let err: unknown;
    try {
      cniPortMappings(input as unknown as Input[]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SkiffError);
    expect((err as SkiffError).message).toMatch(message);
  });
});
