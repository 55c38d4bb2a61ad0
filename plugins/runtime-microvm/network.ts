import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** VmNetworkOptions configures the VMs' bridge network. */
export interface VmNetworkOptions {
  /** bridge is the host bridge every VM's tap joins; the host is the gateway on it. */
  bridge: string;
  /** subnet is the VMs' IPv4 range (`10.90.0.0/18`); the first address is the gateway. */
  subnet: string;
  /** masquerade adds the NAT rule that lets VMs reach beyond the host. */
  masquerade: boolean;
  /** leases is the file that records which sandbox holds which address. */
  leases: string;
}

/** Subnet is a parsed IPv4 range. */
export interface Subnet {
  base: number;
  prefix: number;
}

/** parseSubnet reads `a.b.c.d/p`, or returns an error message. */
export function parseSubnet(cidr: string): Subnet | { error: string } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = Number(m?.[5]);
  if (!m || octets.some((o) => o > 255) || prefix < 8 || prefix > 30) {
    return { error: `subnet ${JSON.stringify(cidr)} is not an IPv4 range a.b.c.d/8..30` };
  }
  const addr = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  return { base: addr - (addr % size), prefix };
}

/** formatIp writes an address held as a number. */
export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** gatewayOf is the host's address on the bridge: the subnet's first address. */
export function gatewayOf(subnet: Subnet): string {
  return formatIp(subnet.base + 1);
}

/** Leases maps a sandbox id to its address. */
export type Leases = Record<string, string>;

/**
 * allocateIp picks the lowest free address of the subnet for a sandbox (the network, the
 * gateway and the broadcast address excluded); a sandbox that holds one keeps it. Returns
 * undefined when the range is full.
 */
export function allocateIp(subnet: Subnet, leases: Leases, sandboxId: string): string | undefined {
  if (leases[sandboxId]) return leases[sandboxId];
  const taken = new Set(Object.values(leases));
  const size = 2 ** (32 - subnet.prefix);
  for (let i = 2; i < size - 1; i++) {
    const ip = formatIp(subnet.base + i);
    if (!taken.has(ip)) return ip;
  }
  return undefined;
}

/** macOf derives a locally administered MAC address from the guest's IPv4 address. */
export function macOf(ip: string): string {
  const hex = ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'));
  return ['02', '53', ...hex].join(':');
}

/** tapName is the host tap device of a sandbox's VM (at most 15 characters, as Linux wants). */
export function tapName(sandboxId: string): string {
  return `skt${sandboxId.slice(0, 12)}`;
}

/** VmAddress is what a VM gets on the network. */
export interface VmAddress {
  ip: string;
  prefix: number;
  gateway: string;
  tap: string;
  mac: string;
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args);
}

async function exists(device: string): Promise<boolean> {
  return run('ip', ['link', 'show', 'dev', device]).then(
    () => true,
    () => false,
  );
}

// Each rule is checked with -C before it is added, so a restart never doubles it.
async function ensureRule(table: string, chain: string, rule: string[]): Promise<void> {
  const ok = await run('iptables', ['-w', '-t', table, '-C', chain, ...rule]).then(
    () => true,
    () => false,
  );
  if (!ok) await run('iptables', ['-w', '-t', table, '-A', chain, ...rule]);
}

async function deleteRule(table: string, chain: string, rule: string[]): Promise<void> {
  while (
    await run('iptables', ['-w', '-t', table, '-D', chain, ...rule]).then(
      () => true,
      () => false,
    )
  );
}

function natRules(options: VmNetworkOptions): { table: string; chain: string; rule: string[] }[] {
  const tag = ['-m', 'comment', '--comment', `skiff-microvm ${options.bridge}`];
  return [
    { table: 'filter', chain: 'FORWARD', rule: ['-i', options.bridge, ...tag, '-j', 'ACCEPT'] },
    { table: 'filter', chain: 'FORWARD', rule: ['-o', options.bridge, ...tag, '-j', 'ACCEPT'] },
    {
      table: 'nat',
      chain: 'POSTROUTING',
      rule: ['-s', options.subnet, '!', '-o', options.bridge, ...tag, '-j', 'MASQUERADE'],
    },
  ];
}

/**
 * VmNetwork is the host side of the VMs' network: one bridge with the gateway address, a tap
 * per VM on it, addresses handed out from a lease file, and (optionally) NAT for egress.
 */
export class VmNetwork {
  readonly subnet: Subnet;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(readonly options: VmNetworkOptions) {
    const subnet = parseSubnet(options.subnet);
    if ('error' in subnet) throw new Error(`runtime-microvm: ${subnet.error}`);
    this.subnet = subnet;
  }

  // Lease changes run one at a time, so two sandboxes never get one address.
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => {});
    return next;
  }

  /** leases reads the lease file (empty when there is none). */
  leases(): Leases {
    try {
      return JSON.parse(readFileSync(this.options.leases, 'utf8')) as Leases;
    } catch {
      return {};
    }
  }

  #save(leases: Leases): void {
    mkdirSync(dirname(this.options.leases), { recursive: true });
    const tmp = `${this.options.leases}.tmp`;
    writeFileSync(tmp, JSON.stringify(leases));
    renameSync(tmp, this.options.leases);
  }

  /** problem says why VMs cannot get a network here, or undefined when they can. */
  problem(): string | undefined {
    if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing: no tap devices';
    return undefined;
  }

  /** ensureBridge makes the bridge with the gateway address and the NAT rules, if absent. */
  async ensureBridge(): Promise<void> {
    const { bridge } = this.options;
    if (!(await exists(bridge))) {
      await ip('link', 'add', bridge, 'type', 'bridge').catch(async (err: unknown) => {
        if (!(await exists(bridge))) throw err;
      });
    }
    const cidr = `${gatewayOf(this.subnet)}/${this.subnet.prefix}`;
    const { stdout } = await run('ip', ['-4', '-o', 'addr', 'show', 'dev', bridge]);
    if (!stdout.includes(` ${cidr} `)) await ip('addr', 'add', cidr, 'dev', bridge);
    await ip('link', 'set', bridge, 'up');
    if (this.options.masquerade) {
      writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
      for (const r of natRules(this.options)) await ensureRule(r.table, r.chain, r.rule);
    }
  }

  /** attach gives a sandbox an address and a tap device on the bridge. */
  attach(sandboxId: string): Promise<VmAddress> {
    return this.#serial(async () => {
      await this.ensureBridge();
      const leases = this.leases();
      const addr = allocateIp(this.subnet, leases, sandboxId);
      if (!addr) throw new Error(`no free address left in ${this.options.subnet}`);
      leases[sandboxId] = addr;
      this.#save(leases);
      const tap = tapName(sandboxId);
      if (await exists(tap)) await ip('link', 'del', tap);
      await ip('tuntap', 'add', 'dev', tap, 'mode', 'tap');
      await ip('link', 'set', tap, 'master', this.options.bridge);
      await ip('link', 'set', tap, 'up');
      return {
        ip: addr,
        prefix: this.subnet.prefix,
        gateway: gatewayOf(this.subnet),
        tap,
        mac: macOf(addr),
      };
    });
  }

  /** detach removes a sandbox's tap and frees its address; detaching twice is no error. */
  detach(sandboxId: string): Promise<void> {
    return this.#serial(async () => {
      const tap = tapName(sandboxId);
      if (await exists(tap)) await ip('link', 'del', tap);
      const leases = this.leases();
      if (sandboxId in leases) {
        delete leases[sandboxId];
        this.#save(leases);
      }
    });
  }

  /** remove deletes the bridge and the NAT rules (once no VM uses them). */
  async remove(): Promise<void> {
    for (const r of natRules(this.options)) await deleteRule(r.table, r.chain, r.rule);
    if (await exists(this.options.bridge)) await ip('link', 'del', this.options.bridge);
  }
}
