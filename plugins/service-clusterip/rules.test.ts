import { describe, expect, it } from 'vitest';
import type { ServiceRoute } from '../../sdk/index.ts';
import {
  jumpRules,
  needsRouteLocalnet,
  parseNatState,
  removalInput,
  restoreInput,
  sepChain,
  svcChain,
} from './rules.ts';

const route = (extra: Partial<ServiceRoute> = {}, n = 3): ServiceRoute => ({
  namespace: 'default',
  name: 'web',
  type: 'ClusterIP',
  clusterIPs: ['10.43.0.9'],
  ports: [
    {
      name: 'http',
      protocol: 'TCP',
      port: 80,
      endpoints: Array.from({ length: n }, (_, i) => ({ ip: `10.0.0.${i + 1}`, port: 8080 })),
    },
  ],
  ...extra,
});

const empty = parseNatState('');
const lines = (text: string) => text.split('\n');

describe('restoreInput', () => {
  it('spreads over n endpoints with probabilities 1/n, 1/(n-1), ... and the last unconditional', () => {
    const r = route();
    const svc = svcChain(r, r.ports[0]!);
    const picks = lines(restoreInput([r], empty)).filter((l) => l.startsWith(`-A ${svc} `));
    expect(picks).toEqual([
      `-A ${svc} -m statistic --mode random --probability 0.33333333333 -j ${sepChain(r, r.ports[0]!, '10.0.0.1', 8080)}`,
      `-A ${svc} -m statistic --mode random --probability 0.50000000000 -j ${sepChain(r, r.ports[0]!, '10.0.0.2', 8080)}`,
      `-A ${svc} -j ${sepChain(r, r.ports[0]!, '10.0.0.3', 8080)}`,
    ]);
  });

  it('checks recent clients first and records them at DNAT under ClientIP affinity', () => {
    const r = route({ affinitySeconds: 60 }, 1);
    const sep = sepChain(r, r.ports[0]!, '10.0.0.1', 8080);
    const text = restoreInput([r], empty);
    expect(text).toContain(`-m recent --name ${sep} --rcheck --seconds 60 --reap -j ${sep}`);
    expect(text).toContain(
      `-A ${sep} -p tcp -m recent --name ${sep} --set -m tcp -j DNAT --to-destination 10.0.0.1:8080`,
    );
  });

  it('marks node-port and load-balancer traffic for masquerade before sending it on', () => {
    const r = route({
      type: 'LoadBalancer',
      loadBalancerIPs: ['127.0.1.3'],
      ports: [{ ...route().ports[0]!, nodePort: 30007 }],
    });
    const text = restoreInput([r], empty);
    const svc = svcChain(r, r.ports[0]!);
    const nodePort = lines(text).filter((l) => l.startsWith('-A SKIFF-NODEPORTS'));
    expect(nodePort.map((l) => l.split(' -j ')[1])).toEqual(['SKIFF-MARK-MASQ', svc]);
    expect(text).toMatch(/-A SKIFF-SERVICES -d 127\.0\.1\.3\/32 .* -j SKIFF-MARK-MASQ/);
    expect(
      lines(text)
        .filter((l) => l.startsWith('-A SKIFF-SERVICES'))
        .at(-1),
    ).toContain('--dst-type LOCAL -j SKIFF-NODEPORTS');
  });

  it('writes no chain for a port without endpoints', () => {
    expect(restoreInput([route({}, 0)], empty)).not.toMatch(/SKIFF-(SVC|SEP)-/);
  });

  it('deletes chains it no longer wants and inserts only missing jump rules', () => {
    const save = [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':SKIFF-SERVICES - [0:0]',
      ':SKIFF-SVC-OLD - [0:0]',
      ':KUBE-SERVICES - [0:0]',
      `-A PREROUTING ${jumpRules[0]!.spec}`,
      'COMMIT',
    ].join('\n');
    const text = restoreInput([], parseNatState(save));
    expect(text).toContain(':SKIFF-SVC-OLD - [0:0]');
    expect(text).toContain('-X SKIFF-SVC-OLD');
    expect(text).not.toContain('KUBE-');
    expect(text).not.toContain('-I PREROUTING');
    expect(text).toContain(`-I OUTPUT 1 ${jumpRules[1]!.spec}`);
    expect(text).toContain(`-I POSTROUTING 1 ${jumpRules[2]!.spec}`);
  });
});

describe('removalInput', () => {
  it('empties and deletes every skiff chain and the jump rules present, nothing else', () => {
    const save = [
      ':SKIFF-SERVICES - [0:0]',
      ':SKIFF-SEP-A - [0:0]',
      ':DOCKER - [0:0]',
      `-A OUTPUT ${jumpRules[1]!.spec}`,
    ].join('\n');
    expect(removalInput(parseNatState(save))).toBe(
      [
        '*nat',
        ':SKIFF-SEP-A - [0:0]',
        ':SKIFF-SERVICES - [0:0]',
        `-D OUTPUT ${jumpRules[1]!.spec}`,
        '-X SKIFF-SEP-A',
        '-X SKIFF-SERVICES',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });
});

describe('needsRouteLocalnet', () => {
  it.each([
    [route(), false],
    [route({ loadBalancerIPs: ['192.0.2.4'] }), false],
    [route({ loadBalancerIPs: ['127.0.1.4'] }), true],
    [route({ ports: [{ ...route().ports[0]!, nodePort: 30001 }] }), true],
  ])('%# is %s', (r, want) => {
    expect(needsRouteLocalnet([r])).toBe(want);
  });
});
