import type { ServicePort, ServiceRoute } from '../../sdk/index.ts';
import type { JumpRule, NatState } from './rules.ts';

// A connection to a service port with no ready endpoint is refused at once (ICMP port
// unreachable), as kube-proxy does in the filter table, rather than left to time out.

/** filterChains are skiff's chain names in the filter table. */
export const filterChains = {
  /** services refuses cluster IPs with no endpoint; entered from FORWARD and OUTPUT. */
  services: 'SKIFF-SERVICES',
  /** external refuses node ports and load-balancer addresses; entered from INPUT and FORWARD. */
  external: 'SKIFF-EXTERNAL-SERVICES',
} as const;

const fresh = '-m conntrack --ctstate NEW';

/** filterJumpRules are the only rules skiff places in the filter table's built-in chains. */
export const filterJumpRules: readonly JumpRule[] = [
  {
    chain: 'INPUT',
    spec: `${fresh} -m comment --comment "skiff externally-visible service portals" -j ${filterChains.external}`,
  },
  {
    chain: 'FORWARD',
    spec: `${fresh} -m comment --comment "skiff externally-visible service portals" -j ${filterChains.external}`,
  },
  {
    chain: 'FORWARD',
    spec: `${fresh} -m comment --comment "skiff service portals" -j ${filterChains.services}`,
  },
  {
    chain: 'OUTPUT',
    spec: `${fresh} -m comment --comment "skiff service portals" -j ${filterChains.services}`,
  },
];

const proto = (p: ServicePort) => p.protocol.toLowerCase();
const reject = '-j REJECT --reject-with icmp-port-unreachable';

/**
 * filterRestoreInput writes the `iptables-restore --noflush` input for the filter table: one
 * REJECT per address and port of a service port that has no endpoint, in one transaction.
 */
export function filterRestoreInput(routes: readonly ServiceRoute[], state: NatState): string {
  const declared = [filterChains.services, filterChains.external];
  const rules: string[] = [];
  const sorted = [...routes].sort((a, b) =>
    `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`),
  );
  for (const route of sorted) {
    for (const port of route.ports) {
      if (port.endpoints.length > 0) continue;
      const p = proto(port);
      const label = `${route.namespace}/${route.name}${port.name ? `:${port.name}` : ''} has no endpoints`;
      const comment = `-m comment --comment "${label.replace(/["\\]/g, '')}"`;
      for (const ip of route.clusterIPs) {
        if (ip === '' || ip === 'None') continue;
        rules.push(
          `-A ${filterChains.services} -d ${ip}/32 -p ${p} ${comment} -m ${p} --dport ${port.port} ${reject}`,
        );
      }
      for (const ip of route.loadBalancerIPs ?? []) {
        rules.push(
          `-A ${filterChains.external} -d ${ip}/32 -p ${p} ${comment} -m ${p} --dport ${port.port} ${reject}`,
        );
      }
      if (port.nodePort !== undefined) {
        rules.push(
          `-A ${filterChains.external} -p ${p} ${comment} -m addrtype --dst-type LOCAL -m ${p} --dport ${port.nodePort} ${reject}`,
        );
      }
    }
  }
  const wanted = new Set<string>(declared);
  const stale = [...state.chains].filter((c) => !wanted.has(c)).sort();
  const jumps = filterJumpRules
    .filter((j) => !state.jumps.has(`${j.chain} ${j.spec}`))
    .map((j) => `-I ${j.chain} 1 ${j.spec}`);
  return [
    '*filter',
    ...declared.map((c) => `:${c} - [0:0]`),
    ...stale.map((c) => `:${c} - [0:0]`),
    ...rules,
    ...stale.map((c) => `-X ${c}`),
    ...jumps,
    'COMMIT',
    '',
  ].join('\n');
}
