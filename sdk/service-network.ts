/**
 * The service network: the address range Services take their cluster IPs from, the node port
 * range, and the cluster's DNS domain. The API server allocates from these; the cluster DNS
 * and the node agent read the same settings (cluster config `server.serviceCIDR`,
 * `server.serviceNodePortRange`, `server.clusterDomain`), so they agree on well-known
 * addresses such as the DNS Service's.
 */

/** defaultServiceCidr is the Service address range when none is configured (as k3s). */
export const defaultServiceCidr = '10.43.0.0/16';

/** defaultNodePortRange is the node port range when none is configured. */
export const defaultNodePortRange = '30000-32767';

/** defaultClusterDomain is the DNS domain of Services and pods when none is configured. */
export const defaultClusterDomain = 'cluster.local';

/** Ipv4Cidr is a parsed IPv4 range: its network address as a number and its size. */
export interface Ipv4Cidr {
  readonly text: string;
  readonly base: number;
  readonly prefix: number;
  readonly size: number;
}

/** PortRange is an inclusive range of ports. */
export interface PortRange {
  readonly text: string;
  readonly min: number;
  readonly max: number;
}

/** parseIpv4 turns a dotted IPv4 address into a number, or undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

/** formatIpv4 writes a numeric IPv4 address in dotted form. */
export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** parseIpv4Cidr parses `a.b.c.d/n`; the address must be the network address. */
export function parseIpv4Cidr(text: string): Ipv4Cidr | { error: string } {
  const [addr = '', bits = '', ...rest] = text.split('/');
  const base = parseIpv4(addr);
  const prefix = Number(bits);
  if (base === undefined || rest.length > 0 || !/^\d{1,2}$/.test(bits) || prefix > 30)
    return { error: `${JSON.stringify(text)} is not an IPv4 CIDR with a prefix of /30 or wider` };
  const size = 2 ** (32 - prefix);
  if (base % size !== 0)
    return { error: `${JSON.stringify(text)} is not a network address (host bits are set)` };
  return { text, base, prefix, size };
}

/** parsePortRange parses `min-max` (1-65535, min <= max). */
export function parsePortRange(text: string): PortRange | { error: string } {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text);
  const min = Number(m?.[1]);
  const max = Number(m?.[2]);
  if (m === null || min < 1 || max > 65535 || min > max)
    return { error: `${JSON.stringify(text)} is not a port range such as 30000-32767` };
  return { text, min, max };
}

/** cidrContains tells whether an IPv4 address (dotted) lies inside a range. */
export function cidrContains(cidr: Ipv4Cidr, ip: string): boolean {
  const n = parseIpv4(ip);
  return n !== undefined && n >= cidr.base && n < cidr.base + cidr.size;
}

/**
 * serviceAddress is the address at an offset inside the range (1 is the `kubernetes` Service,
 * 10 the cluster DNS), refusing the network and broadcast addresses.
 */
export function serviceAddress(cidr: Ipv4Cidr, offset: number): string {
  if (!Number.isInteger(offset) || offset < 1 || offset >= cidr.size - 1)
    throw new RangeError(`offset ${offset} is outside the usable addresses of ${cidr.text}`);
  return formatIpv4(cidr.base + offset);
}

/** kubernetesServiceOffset is the offset of the `kubernetes` Service's cluster IP. */
export const kubernetesServiceOffset = 1;

/** dnsServiceOffset is the offset of the cluster DNS Service's cluster IP (`kube-dns`). */
export const dnsServiceOffset = 10;

/** PodDnsConfig is what a pod's resolv.conf holds under the ClusterFirst DNS policy. */
export interface PodDnsConfig {
  readonly nameservers: readonly string[];
  readonly searches: readonly string[];
  readonly options: readonly { name: string; value?: string }[];
}

/**
 * podDnsConfig is a pod's resolver setup under ClusterFirst: the cluster DNS Service's address,
 * and a search path that makes `svc` and `svc.ns` resolve from the pod's namespace.
 */
export function podDnsConfig(
  namespace: string,
  dnsAddress: string,
  domain = defaultClusterDomain,
): PodDnsConfig {
  return {
    nameservers: [dnsAddress],
    searches: [`${namespace}.svc.${domain}`, `svc.${domain}`, domain],
    options: [{ name: 'ndots', value: '5' }],
  };
}

/** resolvConf writes a PodDnsConfig as the text of /etc/resolv.conf. */
export function resolvConf(config: PodDnsConfig): string {
  const lines = [
    ...config.nameservers.map((n) => `nameserver ${n}`),
    `search ${config.searches.join(' ')}`,
    `options ${config.options.map((o) => (o.value === undefined ? o.name : `${o.name}:${o.value}`)).join(' ')}`,
  ];
  return `${lines.join('\n')}\n`;
}
