import type { Service } from '../../sdk/api/core/service.ts';
import type { KubeObject } from '../../sdk/api/meta.ts';
import {
  duplicate,
  type FieldError,
  fieldPath,
  invalid,
  invalidObjectError,
} from '../../sdk/api/validation/field-error.ts';
import { SkiffError } from '../../sdk/errors.ts';
import {
  defaultNodePortRange,
  defaultServiceCidr,
  formatIpv4,
  type Ipv4Cidr,
  type PortRange,
  parseIpv4,
  parseIpv4Cidr,
  parsePortRange,
} from '../../sdk/service-network.ts';
import type { Store } from '../store/store.ts';
import { type AllocationOwner, RangeAllocator } from './service-alloc.ts';
import { type PendingWrite, type WriteHooks, writeHookKey } from './write-hook.ts';

/** ServiceNetworkOptions choose the Service address range and the node port range. */
export interface ServiceNetworkOptions {
  /** serviceCidr is an IPv4 CIDR (default 10.43.0.0/16). */
  serviceCidr?: string;
  /** nodePortRange is `min-max` (default 30000-32767). */
  nodePortRange?: string;
}

const nothingPending: PendingWrite = { async commit() {}, async abort() {} };

const needsClusterIp = (s: Service['spec']) =>
  (s?.type ?? 'ClusterIP') !== 'ExternalName' && s?.clusterIP !== 'None';
const needsNodePorts = (s: Service['spec']) =>
  s?.type === 'NodePort' ||
  (s?.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false);
const heldIp = (s: Service['spec']) =>
  needsClusterIp(s) && s?.clusterIP !== undefined && parseIpv4(s.clusterIP) !== undefined
    ? s.clusterIP
    : undefined;
// A LoadBalancer that keeps traffic on the receiving node gets a port for its health check.
const needsHealthCheck = (s: Service['spec']) =>
  s?.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local';
const heldPorts = (s: Service['spec']) => [
  ...(needsNodePorts(s) ? (s?.ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => n !== 0) : []),
  ...(needsHealthCheck(s) && s?.healthCheckNodePort ? [s.healthCheckNodePort] : []),
];

/** parseServiceNetwork checks the options, throwing BadRequest naming a bad setting. */
export function parseServiceNetwork(opts: ServiceNetworkOptions = {}): {
  cidr: Ipv4Cidr;
  ports: PortRange;
} {
  const cidr = parseIpv4Cidr(opts.serviceCidr ?? defaultServiceCidr);
  if ('error' in cidr) throw new SkiffError('BadRequest', `service CIDR ${cidr.error}`);
  const ports = parsePortRange(opts.nodePortRange ?? defaultNodePortRange);
  if ('error' in ports) throw new SkiffError('BadRequest', `node port range ${ports.error}`);
  return { cidr, ports };
}

/**
 * ServiceAllocations gives Services their cluster IP and node ports as kube-apiserver's
 * Service registry does: requested values are checked against the range and taken, missing
 * ones are allocated, updates keep what the Service holds, and a value is released only
 * once the write that gave it up (or the delete) is stored.
 */
export class ServiceAllocations {
  readonly cidr: Ipv4Cidr;
  readonly ports: PortRange;
  readonly ips: RangeAllocator;
  readonly nodePorts: RangeAllocator;

  constructor(store: Store, opts: ServiceNetworkOptions = {}) {
    const { cidr, ports } = parseServiceNetwork(opts);
    this.cidr = cidr;
    this.ports = ports;
    // The network and broadcast addresses are never handed out.
    this.ips = new RangeAllocator(store, {
      pool: 'clusterips',
      min: 1,
      max: cidr.size - 2,
      staticBand: Math.min(Math.max(16, Math.floor(cidr.size / 16)), 256),
      key: (offset) => formatIpv4(cidr.base + offset),
      parse: (name) => {
        const n = parseIpv4(name);
        return n === undefined ? undefined : n - cidr.base;
      },
    });
    const span = ports.max - ports.min + 1;
    this.nodePorts = new RangeAllocator(store, {
      pool: 'nodeports',
      min: ports.min,
      max: ports.max,
      staticBand: Math.min(Math.max(16, Math.floor(span / 32)), 128),
      key: String,
      parse: (name) => (/^\d+$/.test(name) ? Number(name) : undefined),
    });
  }

  /** ipOffset is an address's offset in the range, or undefined when it lies outside. */
  ipOffset(ip: string): number | undefined {
    const n = parseIpv4(ip);
    if (n === undefined) return undefined;
    const offset = n - this.cidr.base;
    return this.ips.inRange(offset) ? offset : undefined;
  }

  /**
   * prepareUpdate carries over, before validation, what the server set and the new body left
   * out (cluster IPs, IP families, node ports by port name), and drops node ports left over
   * from a type that had them, as Kubernetes does.
   */
  prepareUpdate(next: KubeObject, prev: KubeObject): void {
    const spec = (next as Service).spec;
    const old = (prev as Service).spec;
    if (spec === undefined || old === undefined) return;
    const stays = (spec.type ?? 'ClusterIP') !== 'ExternalName';
    // Becoming ExternalName gives the address up: drop what is only left over from before.
    if (!stays && (old.type ?? 'ClusterIP') !== 'ExternalName') {
      if (spec.clusterIP === old.clusterIP) delete spec.clusterIP;
      if (JSON.stringify(spec.clusterIPs) === JSON.stringify(old.clusterIPs))
        delete spec.clusterIPs;
      delete spec.ipFamilies;
      delete spec.ipFamilyPolicy;
    }
    if (stays && (spec.clusterIP ?? '') === '' && (spec.clusterIPs ?? []).length === 0) {
      if (old.clusterIP !== undefined) spec.clusterIP = old.clusterIP;
      if (old.clusterIPs !== undefined) spec.clusterIPs = [...old.clusterIPs];
    }
    if (stays) {
      spec.ipFamilies ??= old.ipFamilies;
      spec.ipFamilyPolicy ??= old.ipFamilyPolicy;
    }
    if (needsNodePorts(old) && needsNodePorts(spec)) {
      const byName = new Map((old.ports ?? []).map((p) => [p.name ?? '', p.nodePort]));
      const used = new Set((spec.ports ?? []).map((p) => p.nodePort).filter((n) => n));
      for (const p of spec.ports ?? []) {
        const was = byName.get(p.name ?? '');
        if ((p.nodePort ?? 0) === 0 && was !== undefined && !used.has(was)) p.nodePort = was;
      }
    } else if (needsNodePorts(old) && !needsNodePorts(spec)) {
      const was = new Set(heldPorts(old));
      for (const p of spec.ports ?? [])
        if (p.nodePort !== undefined && was.has(p.nodePort)) delete p.nodePort;
    }
    if (needsHealthCheck(old) && needsHealthCheck(spec))
      spec.healthCheckNodePort ??= old.healthCheckNodePort;
    else if (needsHealthCheck(old) && spec.healthCheckNodePort === old.healthCheckNodePort)
      delete spec.healthCheckNodePort;
  }

  /**
   * allocate fills in and takes the Service's cluster IP and node ports after validation. A
   * value outside its range or held by another Service throws SkiffError('Invalid') and
   * leaves nothing taken. A dry run checks and fills in without taking anything.
   */
  async allocate(
    object: KubeObject,
    prev: KubeObject | undefined,
    dryRun: boolean,
  ): Promise<PendingWrite> {
    const taken: (() => Promise<void>)[] = [];
    try {
      return await this.#allocate(object, prev, dryRun, taken);
    } catch (err) {
      // A refusal gave its values back already; a fault (store unreachable) does so here.
      for (const undo of taken.splice(0).reverse()) await undo().catch(() => undefined);
      throw err;
    }
  }

  async #allocate(
    object: KubeObject,
    prev: KubeObject | undefined,
    dryRun: boolean,
    taken: (() => Promise<void>)[],
  ): Promise<PendingWrite> {
    const svc = object as Service;
    const spec = svc.spec;
    if (spec === undefined) return nothingPending;
    const owner: AllocationOwner = {
      namespace: svc.metadata?.namespace ?? '',
      name: svc.metadata?.name ?? '',
    };
    const old = (prev as Service | undefined)?.spec;
    const abort = async () => {
      for (const undo of taken.splice(0).reverse()) await undo();
    };
    const fail = async (errors: FieldError[]): Promise<never> => {
      await abort();
      throw invalidObjectError({ group: '', kind: 'Service', name: owner.name }, errors);
    };
    const oldIp = heldIp(old);
    if (needsClusterIp(spec)) {
      const requested = spec.clusterIP || spec.clusterIPs?.[0] || '';
      if (spec.clusterIP && spec.clusterIPs?.[0] && spec.clusterIPs[0] !== spec.clusterIP)
        await fail([
          invalid('spec.clusterIPs[0]', spec.clusterIPs[0], 'must be same as clusterIP'),
        ]);
      let ip = requested;
      if (requested === '') {
        const offset = dryRun ? await this.ips.candidate() : await this.ips.allocate(owner);
        if (offset === undefined)
          await fail([
            invalid(
              'spec.clusterIPs',
              [],
              `failed to allocate IP: range is full (${this.cidr.text})`,
            ),
          ]);
        ip = formatIpv4(this.cidr.base + (offset as number));
        if (!dryRun) taken.push(() => this.ips.release(offset as number, owner));
      } else if (requested !== oldIp) {
        const offset = this.ipOffset(requested);
        const why =
          offset === undefined
            ? `provided IP is not in the valid range. The range of valid IPs is ${this.cidr.text}`
            : dryRun
              ? (await this.ips.isFree(offset))
                ? undefined
                : 'provided IP is already allocated'
              : (await this.ips.reserve(offset, owner)) === 'ok'
                ? undefined
                : 'provided IP is already allocated';
        if (why !== undefined)
          await fail([
            invalid('spec.clusterIPs', requested, `failed to allocate IP ${requested}: ${why}`),
          ]);
        if (!dryRun) taken.push(() => this.ips.release(offset as number, owner));
      }
      spec.clusterIP = ip;
      spec.clusterIPs = [ip];
    } else if (spec.clusterIP === 'None') {
      spec.clusterIPs = ['None'];
    } else {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if ((spec.type ?? 'ClusterIP') !== 'ExternalName') {
      spec.ipFamilies = ['IPv4'];
      spec.ipFamilyPolicy = 'SingleStack';
    } else {
      delete spec.ipFamilies;
      delete spec.ipFamilyPolicy;
    }
    const oldPorts = new Set(heldPorts(old));
    const mine = new Set<number>();
    // take checks and takes one requested node port; undefined when it is this Service's now.
    const take = async (np: number): Promise<string | undefined> => {
      if (oldPorts.has(np) || mine.has(np)) return undefined;
      const why = !this.nodePorts.inRange(np)
        ? `provided port is not in the valid range. The range of valid ports is ${this.ports.text}`
        : dryRun
          ? (await this.nodePorts.isFree(np))
            ? undefined
            : 'provided port is already allocated'
          : (await this.nodePorts.reserve(np, owner)) === 'ok'
            ? undefined
            : 'provided port is already allocated';
      if (why === undefined) {
        mine.add(np);
        if (!dryRun) taken.push(() => this.nodePorts.release(np, owner));
      }
      return why;
    };
    const any = async (field: string): Promise<number> => {
      const np = dryRun ? await this.nodePorts.candidate() : await this.nodePorts.allocate(owner);
      if (np === undefined)
        await fail([
          invalid(field, 0, `failed to allocate a node port: range is full (${this.ports.text})`),
        ]);
      if (!dryRun) taken.push(() => this.nodePorts.release(np as number, owner));
      return np as number;
    };
    if (needsNodePorts(spec)) {
      const seen = new Map<string, number>();
      const ports = spec.ports ?? [];
      for (const [i, p] of ports.entries()) {
        const field = fieldPath('spec.ports', i, 'nodePort');
        const np = p.nodePort ?? 0;
        if (np === 0) continue;
        const key = `${np}/${p.protocol ?? 'TCP'}`;
        if (seen.has(key)) await fail([duplicate(field, np)]);
        seen.set(key, i);
        // One Service may use a node port for TCP and UDP both; it is taken once.
        const why = await take(np);
        if (why !== undefined) await fail([invalid(field, np, why)]);
      }
      for (const [i, p] of ports.entries())
        if ((p.nodePort ?? 0) === 0) p.nodePort = await any(fieldPath('spec.ports', i, 'nodePort'));
    }
    if (needsHealthCheck(spec)) {
      const hc = spec.healthCheckNodePort ?? 0;
      if (hc === 0) spec.healthCheckNodePort = await any('spec.healthCheckNodePort');
      else {
        const why = await take(hc);
        if (why !== undefined) await fail([invalid('spec.healthCheckNodePort', hc, why)]);
      }
    }
    if (dryRun) return nothingPending;
    const nowIp = heldIp(spec);
    const nowPorts = new Set(heldPorts(spec));
    let stored = false;
    return {
      // Once the write is stored its values are the Service's: an abort after that (the
      // caller's error path) must not free them.
      abort: async () => {
        if (!stored) await abort();
      },
      commit: async () => {
        stored = true;
        taken.splice(0);
        // Freeing what the Service gave up may fail (store unreachable); the repair pass
        // frees such records later, and the write itself stands.
        try {
          if (oldIp !== undefined && oldIp !== nowIp) await this.#releaseIp(oldIp, owner);
          for (const np of oldPorts) if (!nowPorts.has(np)) await this.nodePorts.release(np, owner);
        } catch {
          // left to the repair pass
        }
      },
    };
  }

  /** release frees what a deleted Service held; call it once the delete is stored. Never throws. */
  async release(object: KubeObject): Promise<void> {
    const svc = object as Service;
    const owner = { namespace: svc.metadata?.namespace ?? '', name: svc.metadata?.name ?? '' };
    const ip = heldIp(svc.spec);
    // The delete is stored already: a record that cannot be freed now is the repair pass's.
    try {
      if (ip !== undefined) await this.#releaseIp(ip, owner);
      for (const np of new Set(heldPorts(svc.spec))) await this.nodePorts.release(np, owner);
    } catch {
      // left to the repair pass
    }
  }

  async #releaseIp(ip: string, owner: AllocationOwner): Promise<void> {
    const offset = this.ipOffset(ip);
    if (offset !== undefined) await this.ips.release(offset, owner);
  }
}

/** serviceWriteHooks routes Service writes through the allocations. */
export function serviceWriteHooks(alloc: ServiceAllocations): WriteHooks {
  return new Map([
    [
      writeHookKey('', 'Service'),
      {
        prepareUpdate: (next: KubeObject, prev: KubeObject) => alloc.prepareUpdate(next, prev),
        beforeWrite: (next: KubeObject, prev: KubeObject | undefined, dryRun: boolean) =>
          alloc.allocate(next, prev, dryRun),
        afterDelete: (object: KubeObject) => alloc.release(object),
      },
    ],
  ]);
}
