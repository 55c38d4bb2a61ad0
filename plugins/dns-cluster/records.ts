// The cluster's DNS records, worked out from Services and their Endpoints as the Kubernetes
// DNS specification describes them (the schema CoreDNS's kubernetes plugin serves).
import type { Answer } from 'dns-packet';
import type { api } from '../../sdk/index.ts';

/** DnsSources reads the current Services and Endpoints (informer caches in the server). */
export interface DnsSources {
  service(namespace: string, name: string): api.Service | undefined;
  endpoints(namespace: string, name: string): api.Endpoints | undefined;
}

/** ClusterAnswer is the answer to a question inside the cluster domain. */
export interface ClusterAnswer {
  readonly rcode: 'NOERROR' | 'NXDOMAIN';
  readonly answers: Answer[];
  readonly authorities: Answer[];
  readonly additionals: Answer[];
}

/** RecordOptions are the domain and the time to live of answers. */
export interface RecordOptions {
  readonly domain: string;
  /** ttl is the seconds answers may be cached (CoreDNS's default is 5). */
  readonly ttl: number;
}

const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** soaRecord is the cluster domain's SOA, sent with negative answers. */
export function soaRecord(opts: RecordOptions): Answer {
  return {
    type: 'SOA',
    name: opts.domain,
    ttl: opts.ttl,
    data: {
      mname: `ns.dns.${opts.domain}`,
      rname: `hostmaster.${opts.domain}`,
      // A serial that grows over time is enough for secondaries nobody runs here.
      serial: Math.floor(Date.now() / 1000) % 2 ** 32,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: opts.ttl,
    },
  };
}

/** inDomain tells whether a query name (lower case, no trailing dot) is inside the domain. */
export function inDomain(name: string, domain: string): boolean {
  return name === domain || name.endsWith(`.${domain}`);
}

interface Member {
  ip: string;
  hostname: string;
  ports: { name?: string; port: number; protocol?: string }[];
}

// Ready addresses only: DNS hands out what can take traffic (publishNotReadyAddresses
// already moved the others into addresses).
function members(ep: api.Endpoints | undefined): Member[] {
  const out: Member[] = [];
  for (const subset of ep?.subsets ?? [])
    for (const a of subset.addresses ?? [])
      out.push({
        ip: a.ip,
        hostname: a.hostname ?? a.ip.replaceAll('.', '-').replaceAll(':', '-'),
        ports: subset.ports ?? [],
      });
  return out;
}

const a = (name: string, ip: string, ttl: number): Answer =>
  ip.includes(':') ? { type: 'AAAA', name, ttl, data: ip } : { type: 'A', name, ttl, data: ip };

/**
 * answerCluster answers one question about a name inside the cluster domain: Services
 * (`svc.ns.svc.<domain>`: A, AAAA, SRV, CNAME for ExternalName), named ports of Services
 * (`_port._proto.svc.ns.svc.<domain>` SRV), endpoints of headless Services
 * (`host.svc.ns.svc.<domain>`) and pods (`a-b-c-d.ns.pod.<domain>`). Unknown names are
 * NXDOMAIN; known names without records of the asked type are NOERROR with no answer.
 */
export function answerCluster(
  qname: string,
  qtype: string,
  src: DnsSources,
  opts: RecordOptions,
): ClusterAnswer {
  const { domain, ttl } = opts;
  const empty = (rcode: ClusterAnswer['rcode']): ClusterAnswer => ({
    rcode,
    answers: [],
    authorities: [soaRecord(opts)],
    additionals: [],
  });
  const found = (answers: Answer[], additionals: Answer[] = []): ClusterAnswer =>
    answers.length === 0
      ? empty('NOERROR')
      : { rcode: 'NOERROR', answers, authorities: [], additionals };
  if (qname === domain) return qtype === 'SOA' ? found([soaRecord(opts)]) : empty('NOERROR');
  const labels = qname.slice(0, -(domain.length + 1)).split('.');
  const zone = labels.at(-1);
  if (zone === 'pod' && labels.length === 3) {
    const ip = (labels[0] ?? '').replaceAll('-', '.');
    const m = ipv4.exec(ip);
    if (m === null || m.slice(1).some((o) => Number(o) > 255)) return empty('NXDOMAIN');
    return found(qtype === 'A' || qtype === 'ANY' ? [a(qname, ip, ttl)] : []);
  }
  if (zone !== 'svc' || labels.length < 3) return empty('NXDOMAIN');
  const ns = labels.at(-2) ?? '';
  const svcName = labels.at(-3) ?? '';
  const svc = src.service(ns, svcName);
  if (svc === undefined) return empty('NXDOMAIN');
  const svcFqdn = `${svcName}.${ns}.svc.${domain}`;
  const spec = svc.spec ?? {};
  const headless = spec.clusterIP === 'None';
  const rest = labels.slice(0, -3);
  if (spec.type === 'ExternalName') {
    if (rest.length > 0) return empty('NXDOMAIN');
    const target = (spec.externalName ?? '').replace(/\.$/, '');
    return found([{ type: 'CNAME', name: qname, ttl, data: target }]);
  }
  const eps = members(src.endpoints(ns, svcName));
  // A port query: _name._proto.svc.ns.svc.<domain>.
  if (rest.length === 2 && rest[0]?.startsWith('_') && rest[1]?.startsWith('_')) {
    const portName = rest[0].slice(1);
    const proto = rest[1].slice(1).toUpperCase();
    const port = (spec.ports ?? []).find(
      (p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === proto,
    );
    if (port === undefined) return empty('NXDOMAIN');
    if (qtype !== 'SRV' && qtype !== 'ANY') return empty('NOERROR');
    if (!headless)
      return found(
        [srv(qname, svcFqdn, port.port, ttl)],
        (spec.clusterIPs ?? []).map((ip) => a(svcFqdn, ip, ttl)),
      );
    const answers: Answer[] = [];
    const extra: Answer[] = [];
    for (const m of eps) {
      const ep = m.ports.find(
        (p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === proto,
      );
      if (ep === undefined) continue;
      const host = `${m.hostname}.${svcFqdn}`;
      answers.push(srv(qname, host, ep.port, ttl));
      extra.push(a(host, m.ip, ttl));
    }
    return found(answers, extra);
  }
  if (rest.length === 1) {
    // One endpoint of a headless Service, by hostname or dashed address.
    if (!headless) return empty('NXDOMAIN');
    const m = eps.filter((e) => e.hostname === rest[0]);
    if (m.length === 0) return empty('NXDOMAIN');
    return found(m.filter((e) => wants(qtype, e.ip)).map((e) => a(qname, e.ip, ttl)));
  }
  if (rest.length > 0) return empty('NXDOMAIN');
  if (qtype === 'SRV') {
    const answers: Answer[] = [];
    const extra: Answer[] = [];
    for (const p of spec.ports ?? []) {
      if ((p.name ?? '') === '') continue;
      if (!headless) {
        answers.push(srv(qname, svcFqdn, p.port, ttl));
        continue;
      }
      for (const m of eps) {
        const ep = m.ports.find((x) => (x.name ?? '') === p.name);
        if (ep === undefined) continue;
        answers.push(srv(qname, `${m.hostname}.${svcFqdn}`, ep.port, ttl));
        extra.push(a(`${m.hostname}.${svcFqdn}`, m.ip, ttl));
      }
    }
    if (!headless) extra.push(...(spec.clusterIPs ?? []).map((ip) => a(svcFqdn, ip, ttl)));
    return found(answers, extra);
  }
  const ips = headless
    ? eps.map((e) => e.ip)
    : (spec.clusterIPs ?? []).filter((ip) => ip !== 'None');
  return found([...new Set(ips)].filter((ip) => wants(qtype, ip)).map((ip) => a(qname, ip, ttl)));
}

const wants = (qtype: string, ip: string) =>
  qtype === 'ANY' || (qtype === 'A' && !ip.includes(':')) || (qtype === 'AAAA' && ip.includes(':'));

const srv = (name: string, target: string, port: number, ttl: number): Answer => ({
  type: 'SRV',
  name,
  ttl,
  // Every target weighs the same, as CoreDNS answers: clients spread over them.
  data: { priority: 0, weight: 100, port, target },
});
