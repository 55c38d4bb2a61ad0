import type { Service } from '../../sdk/api/core/service.ts';
import type { Store } from '../store/store.ts';
import { decodeStored, type ResourceRegistry, storagePrefix } from './resources.ts';
import type { AllocationOwner, RangeAllocator } from './service-alloc.ts';
import type { ServiceAllocations } from './service-alloc-hook.ts';

/** RepairReport counts what one repair pass did. */
export interface RepairReport {
  /** recorded counts values Services held without a record (written before records existed). */
  recorded: number;
  /** freed counts records no Service used in this pass and the one before. */
  freed: number;
  /** conflicts lists values two Services claim; the record's owner keeps it. */
  conflicts: string[];
}

const ownerKey = (o: AllocationOwner) => `${o.namespace}/${o.name}`;

/**
 * AllocationRepair brings the allocation records in line with the stored Services, as
 * Kubernetes' repair controllers do. A record may belong to a create still in flight (its
 * Service not stored yet), so a record nobody uses is freed only when the previous pass saw
 * it unused at the same revision too; passes must be further apart than any create takes.
 */
export class AllocationRepair {
  readonly #alloc: ServiceAllocations;
  readonly #listServices: () => Promise<Service[]>;
  readonly #suspects = new Map<string, number>();

  constructor(alloc: ServiceAllocations, listServices: () => Promise<Service[]>) {
    this.#alloc = alloc;
    this.#listServices = listServices;
  }

  /** run makes one pass over both pools. */
  async run(): Promise<RepairReport> {
    const report: RepairReport = { recorded: 0, freed: 0, conflicts: [] };
    const ips = new Map<number, AllocationOwner>();
    const ports = new Map<number, AllocationOwner>();
    // Records first, Services second: a record made between the two reads belongs to a
    // Service the second read may not show, which the two-pass rule covers.
    const ipRecords = await this.#alloc.ips.records();
    const portRecords = await this.#alloc.nodePorts.records();
    for (const svc of await this.#listServices()) {
      const owner = { namespace: svc.metadata?.namespace ?? '', name: svc.metadata?.name ?? '' };
      const spec = svc.spec;
      const type = spec?.type ?? 'ClusterIP';
      const ip = spec?.clusterIP;
      if (type !== 'ExternalName' && ip !== undefined) {
        const offset = this.#alloc.ipOffset(ip);
        if (offset !== undefined) ips.set(offset, owner);
      }
      if (type === 'NodePort' || type === 'LoadBalancer')
        for (const p of spec?.ports ?? []) if (p.nodePort) ports.set(p.nodePort, owner);
      if (type === 'LoadBalancer' && spec?.healthCheckNodePort)
        ports.set(spec.healthCheckNodePort, owner);
    }
    await this.#pool('ip', this.#alloc.ips, ipRecords, ips, report);
    await this.#pool('port', this.#alloc.nodePorts, portRecords, ports, report);
    return report;
  }

  async #pool(
    label: string,
    pool: RangeAllocator,
    records: { value: number; owner: AllocationOwner; modRevision: number }[],
    used: Map<number, AllocationOwner>,
    report: RepairReport,
  ): Promise<void> {
    const byValue = new Map(records.map((r) => [r.value, r]));
    for (const [value, owner] of used) {
      const record = byValue.get(value);
      if (record === undefined) {
        if ((await pool.reserve(value, owner)) === 'ok') report.recorded++;
        else report.conflicts.push(`${label} ${pool.range.key(value)} of ${ownerKey(owner)}`);
      } else if (ownerKey(record.owner) !== ownerKey(owner)) {
        report.conflicts.push(
          `${label} ${pool.range.key(value)} of ${ownerKey(owner)} is recorded for ${ownerKey(record.owner)}`,
        );
      }
    }
    for (const record of records) {
      const id = `${pool.range.pool}/${record.value}`;
      const user = used.get(record.value);
      if (user !== undefined && ownerKey(user) === ownerKey(record.owner)) {
        this.#suspects.delete(id);
        continue;
      }
      if (this.#suspects.get(id) === record.modRevision) {
        await pool.forget(record.value, record.modRevision);
        this.#suspects.delete(id);
        report.freed++;
      } else this.#suspects.set(id, record.modRevision);
    }
  }
}

/** RunningRepair is the repair loop started with the API server. */
export interface RunningRepair {
  stop(): void;
}

/**
 * startAllocationRepair runs one repair pass now (so Services stored before allocation
 * records existed get theirs before anything is allocated) and then one every interval.
 */
export async function startAllocationRepair(
  alloc: ServiceAllocations,
  store: Store,
  registry: ResourceRegistry,
  intervalMs = 60_000,
): Promise<RunningRepair> {
  const res = registry.find('', 'v1', 'services');
  const listServices = async (): Promise<Service[]> => {
    if (res === undefined) return [];
    const page = await store.list(storagePrefix(res));
    return page.items.map((i) => decodeStored(i.value) as Service);
  };
  const repair = new AllocationRepair(alloc, listServices);
  await repair.run();
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    // A failed pass (store briefly unreachable) is tried again at the next interval.
    repair
      .run()
      .catch(() => undefined)
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
