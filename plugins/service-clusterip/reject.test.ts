import { describe, expect, it } from 'vitest';
import type { ServiceRoute } from '../../sdk/index.ts';
import { filterJumpRules, filterRestoreInput } from './reject.ts';
import { parseNatState } from './rules.ts';

const route = (endpoints: { ip: string; port: number }[]): ServiceRoute => ({
  namespace: 'default',
  name: 'web',
  type: 'LoadBalancer',
  clusterIPs: ['10.43.0.20'],
  loadBalancerIPs: ['127.0.1.5'],
  ports: [{ name: 'http', protocol: 'TCP', port: 80, nodePort: 30100, endpoints }],
});
const empty = parseNatState('', filterJumpRules);
const rejects = (text: string) => text.split('\n').filter((l) => l.includes('-j REJECT'));

describe('filterRestoreInput', () => {
  it('refuses the cluster IP, the load-balancer address and the node port of a port with no endpoint', () => {
    const lines = rejects(filterRestoreInput([route([])], empty));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^-A SKIFF-SERVICES -d 10\.43\.0\.20\/32 -p tcp .*--dport 80 -j REJECT/,
    );
    expect(lines[1]).toMatch(
      /^-A SKIFF-EXTERNAL-SERVICES -d 127\.0\.1\.5\/32 .*--dport 80 -j REJECT/,
    );
    expect(lines[2]).toMatch(
      /^-A SKIFF-EXTERNAL-SERVICES .*--dst-type LOCAL .*--dport 30100 -j REJECT/,
    );
    expect(lines.every((l) => l.includes('"default/web:http has no endpoints"'))).toBe(true);
  });

  it('refuses nothing once the port has an endpoint, and writes the filter table only', () => {
    const text = filterRestoreInput([route([{ ip: '10.89.0.5', port: 8080 }])], empty);
    expect(rejects(text)).toEqual([]);
    expect(text.startsWith('*filter\n')).toBe(true);
    expect(text.trimEnd().endsWith('COMMIT')).toBe(true);
  });

  it('inserts each jump rule once, and deletes skiff chains no longer wanted', () => {
    const save = [
      ':SKIFF-SERVICES - [0:0]',
      ':SKIFF-OLD - [0:0]',
      ...filterJumpRules.map((j) => `-A ${j.chain} ${j.spec}`),
    ].join('\n');
    const text = filterRestoreInput([], parseNatState(save, filterJumpRules));
    expect(text).not.toMatch(/^-I /m);
    expect(text).toMatch(/^-X SKIFF-OLD$/m);
    const fresh = filterRestoreInput([], empty);
    expect(fresh.match(/^-I /gm)).toHaveLength(filterJumpRules.length);
  });
});
