import type { api } from '../../sdk/index.ts';
import { cidrContains, formatIpv4, type Ipv4Cidr, parseIpv4 } from '../../sdk/index.ts';

type Service = api.Service;

/** defaultPool is the address pool when none is configured: a loopback range this host answers on. */
export const defaultPool = '127.0.1.0/24';

/** Assignment is what one pass decides for a Service: an address to set, or to clear. */
export interface Assignment {
  readonly namespace: string;
  readonly name: string;
  /** ip is the address to report, or undefined to clear an address this pool gave. */
  readonly ip: string | undefined;
}

/** PlanOutcome lists the status changes to make and the Services still waiting for an address. */
export interface PlanOutcome {
  readonly changes: readonly Assignment[];
  readonly pending: readonly string[];
}

const key = (s: Service) => `${s.metadata?.namespace ?? 'default'}/${s.metadata?.name ?? ''}`;

/** handled tells whether this pool serves a Service: type LoadBalancer with no other class named. */
export function handled(s: Service): boolean {
  return s.spec?.type === 'LoadBalancer' && s.spec.loadBalancerClass === undefined;
}

const reported = (s: Service) =>
  (s.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []));

/**
 * planAssignments decides, from every Service there is, which get an address from the pool
 * and which lose one. The Services themselves are the record of what is taken, so a restarted
 * controller (or a new leader) starts from them; an address two Services claim stays with the
 * older one. The network and broadcast addresses are never given out.
 */
export function planAssignments(pool: Ipv4Cidr, services: readonly Service[]): PlanOutcome {
  const ordered = [...services].sort((a, b) =>
    `${a.metadata?.creationTimestamp ?? ''} ${key(a)}`.localeCompare(
      `${b.metadata?.creationTimestamp ?? ''} ${key(b)}`,
    ),
  );
  const taken = new Set<string>();
  const keep = new Set<string>();
  for (const s of ordered) {
    if (!handled(s)) continue;
    const mine = reported(s).filter((ip) => cidrContains(pool, ip));
    const first = mine[0];
    if (first !== undefined && !taken.has(first) && reported(s).length === 1) {
      taken.add(first);
      keep.add(key(s));
    }
  }
  const changes: Assignment[] = [];
  const pending: string[] = [];
  let cursor = 1;
  const next = (wanted: string | undefined): string | undefined => {
    if (wanted !== undefined && cidrContains(pool, wanted) && !taken.has(wanted)) {
      const n = parseIpv4(wanted) ?? 0;
      if (n !== pool.base && n !== pool.base + pool.size - 1) return wanted;
    }
    for (; cursor < pool.size - 1; cursor++) {
      const ip = formatIpv4(pool.base + cursor);
      if (!taken.has(ip)) return ip;
    }
    return undefined;
  };
  for (const s of ordered) {
    const namespace = s.metadata?.namespace ?? 'default';
    const name = s.metadata?.name ?? '';
    if (handled(s)) {
      if (keep.has(key(s))) continue;
      const ip = next(s.spec?.loadBalancerIP || undefined);
      if (ip === undefined) {
        pending.push(key(s));
        continue;
      }
      taken.add(ip);
      changes.push({ namespace, name, ip });
    } else if (
      reported(s).some((ip) => cidrContains(pool, ip)) &&
      s.spec?.loadBalancerClass === undefined
    ) {
      changes.push({ namespace, name, ip: undefined });
    }
  }
  return { changes, pending };
}
