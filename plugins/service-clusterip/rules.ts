import { createHash } from 'node:crypto';
import type { ServicePort, ServiceRoute } from '../../sdk/index.ts';

/** chains are skiff's fixed chain names in the nat table. */
export const chains = {
  services: 'SKIFF-SERVICES',
  nodePorts: 'SKIFF-NODEPORTS',
  postrouting: 'SKIFF-POSTROUTING',
  markMasq: 'SKIFF-MARK-MASQ',
} as const;

/** skiffChainPrefix starts every chain skiff owns; nothing else in the nat table is touched. */
export const skiffChainPrefix = 'SKIFF-';

/** masqMark is the packet mark bit that asks SKIFF-POSTROUTING to masquerade. */
export const masqMark = '0x4000';

/** JumpRule is a rule skiff keeps in a built-in chain, pointing into its own chains. */
export interface JumpRule {
  readonly chain: string;
  /** spec is the rule as iptables-save prints it after `-A <chain> `. */
  readonly spec: string;
}

/** jumpRules are the only rules skiff places in built-in chains. */
export const jumpRules: readonly JumpRule[] = [
  {
    chain: 'PREROUTING',
    spec: `-m comment --comment "skiff service portals" -j ${chains.services}`,
  },
  { chain: 'OUTPUT', spec: `-m comment --comment "skiff service portals" -j ${chains.services}` },
  {
    chain: 'POSTROUTING',
    spec: `-m comment --comment "skiff postrouting rules" -j ${chains.postrouting}`,
  },
];

/** NatState is what the nat table holds now, as far as skiff cares. */
export interface NatState {
  /** chains lists every chain whose name starts with SKIFF-. */
  readonly chains: ReadonlySet<string>;
  /** jumps lists the jump rules present, as `<chain> <spec>`. */
  readonly jumps: ReadonlySet<string>;
}

/**
 * parseNatState reads `iptables-save -t nat` output for skiff's chains and jump rules (or, given
 * the filter table's jump rules, `iptables-save -t filter` output).
 */
export function parseNatState(save: string, jumpsOf: readonly JumpRule[] = jumpRules): NatState {
  const found = new Set<string>();
  const jumps = new Set<string>();
  const wanted = new Set(jumpsOf.map((j) => `${j.chain} ${j.spec}`));
  for (const line of save.split('\n')) {
    const decl = /^:(\S+) /.exec(line);
    if (decl?.[1]?.startsWith(skiffChainPrefix)) found.add(decl[1]);
    const rule = /^-A (\S+) (.*)$/.exec(line);
    if (rule && wanted.has(`${rule[1]} ${rule[2]}`)) jumps.add(`${rule[1]} ${rule[2]}`);
  }
  return { chains: found, jumps };
}

const hash = (text: string) =>
  createHash('sha256').update(text).digest('hex').slice(0, 16).toUpperCase();

/** svcChain names the chain that spreads one service port over its endpoints. */
export function svcChain(route: ServiceRoute, port: ServicePort): string {
  return `SKIFF-SVC-${hash(`${route.namespace}/${route.name}:${port.name ?? ''}/${port.protocol}`)}`;
}

/** sepChain names the chain that sends to one endpoint of one service port. */
export function sepChain(route: ServiceRoute, port: ServicePort, ip: string, epPort: number) {
  return `SKIFF-SEP-${hash(`${route.namespace}/${route.name}:${port.name ?? ''}/${port.protocol}:${ip}:${epPort}`)}`;
}

const proto = (p: ServicePort) => p.protocol.toLowerCase();
const quote = (s: string) => `"${s.replace(/["\\]/g, '')}"`;

/** needsRouteLocalnet tells whether some destination is on loopback (127.0.0.0/8) or a node port. */
export function needsRouteLocalnet(routes: readonly ServiceRoute[]): boolean {
  return routes.some(
    (r) =>
      (r.loadBalancerIPs ?? []).some((ip) => ip.startsWith('127.')) ||
      r.ports.some((p) => p.nodePort !== undefined),
  );
}

/**
 * restoreInput writes the `iptables-restore --noflush` input that turns the nat table's skiff
 * part into the desired one in one transaction: every skiff chain is declared (which empties
 * it), filled again, stale ones deleted, and missing jump rules inserted.
 */
export function restoreInput(routes: readonly ServiceRoute[], state: NatState): string {
  const declared: string[] = [
    chains.services,
    chains.nodePorts,
    chains.postrouting,
    chains.markMasq,
  ];
  const rules: string[] = [
    `-A ${chains.postrouting} -m mark ! --mark ${masqMark}/${masqMark} -j RETURN`,
    // Clear the bit so a packet that is masqueraded once is not seen again as asking for it.
    `-A ${chains.postrouting} -j MARK --xor-mark ${masqMark}`,
    `-A ${chains.postrouting} -m comment --comment "skiff service traffic requiring SNAT" -j MASQUERADE`,
    `-A ${chains.markMasq} -j MARK --or-mark ${masqMark}`,
  ];
  const sorted = [...routes].sort((a, b) =>
    `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`),
  );
  for (const route of sorted) {
    for (const port of route.ports) {
      if (port.endpoints.length === 0) continue;
      const svc = svcChain(route, port);
      const p = proto(port);
      const label = `${route.namespace}/${route.name}${port.name ? `:${port.name}` : ''}`;
      declared.push(svc);
      for (const ip of route.clusterIPs) {
        if (ip === '' || ip === 'None') continue;
        rules.push(
          `-A ${chains.services} -d ${ip}/32 -p ${p} -m comment --comment ${quote(`${label} cluster IP`)} -m ${p} --dport ${port.port} -j ${svc}`,
        );
      }
      for (const ip of route.loadBalancerIPs ?? []) {
        const match = `-d ${ip}/32 -p ${p} -m comment --comment ${quote(`${label} loadbalancer IP`)} -m ${p} --dport ${port.port}`;
        rules.push(`-A ${chains.services} ${match} -j ${chains.markMasq}`);
        rules.push(`-A ${chains.services} ${match} -j ${svc}`);
      }
      if (port.nodePort !== undefined) {
        const match = `-p ${p} -m comment --comment ${quote(`${label} node port`)} -m ${p} --dport ${port.nodePort}`;
        rules.push(`-A ${chains.nodePorts} ${match} -j ${chains.markMasq}`);
        rules.push(`-A ${chains.nodePorts} ${match} -j ${svc}`);
      }
      const eps = [...port.endpoints].sort((a, b) =>
        `${a.ip}:${a.port}`.localeCompare(`${b.ip}:${b.port}`),
      );
      const seps = eps.map((ep) => sepChain(route, port, ep.ip, ep.port));
      const affinity = route.affinitySeconds;
      if (affinity !== undefined) {
        for (const sep of seps)
          rules.push(
            `-A ${svc} -m recent --name ${sep} --rcheck --seconds ${affinity} --reap -j ${sep}`,
          );
      }
      eps.forEach((ep, i) => {
        const sep = seps[i] as string;
        const left = eps.length - i;
        // Each endpoint takes its share of what the ones before it left: 1/n, 1/(n-1), ..., 1.
        const pick =
          left > 1 ? `-m statistic --mode random --probability ${(1 / left).toFixed(11)} ` : '';
        rules.push(`-A ${svc} ${pick}-j ${sep}`);
        declared.push(sep);
        // Hairpin: an endpoint reaching itself through the service must see the node as source.
        rules.push(`-A ${sep} -s ${ep.ip}/32 -j ${chains.markMasq}`);
        const recent = affinity === undefined ? '' : `-m recent --name ${sep} --set `;
        rules.push(
          `-A ${sep} -p ${p} ${recent}-m ${p} -j DNAT --to-destination ${ep.ip}:${ep.port}`,
        );
      });
    }
  }
  rules.push(
    `-A ${chains.services} -m comment --comment "skiff node ports, last" -m addrtype --dst-type LOCAL -j ${chains.nodePorts}`,
  );
  const wanted = new Set(declared);
  const stale = [...state.chains].filter((c) => !wanted.has(c)).sort();
  const jumps = jumpRules
    .filter((j) => !state.jumps.has(`${j.chain} ${j.spec}`))
    .map((j) => `-I ${j.chain} 1 ${j.spec}`);
  return [
    '*nat',
    ...declared.map((c) => `:${c} - [0:0]`),
    ...stale.map((c) => `:${c} - [0:0]`),
    ...rules,
    ...stale.map((c) => `-X ${c}`),
    ...jumps,
    'COMMIT',
    '',
  ].join('\n');
}

/**
 * removalInput writes the restore input that takes every skiff rule and chain out of the nat
 * table (or of another table, given its name and skiff's jump rules there).
 */
export function removalInput(
  state: NatState,
  table = 'nat',
  jumpsOf: readonly JumpRule[] = jumpRules,
): string {
  const all = [...state.chains].sort();
  return [
    `*${table}`,
    ...all.map((c) => `:${c} - [0:0]`),
    ...jumpsOf
      .filter((j) => state.jumps.has(`${j.chain} ${j.spec}`))
      .map((j) => `-D ${j.chain} ${j.spec}`),
    ...all.map((c) => `-X ${c}`),
    'COMMIT',
    '',
  ].join('\n');
}
