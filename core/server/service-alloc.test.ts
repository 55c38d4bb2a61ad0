import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Service } from '../../sdk/api/core/service.ts';
import { isSkiffError, SkiffError } from '../../sdk/errors.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { allocationPrefix } from './service-alloc.ts';
import { parseServiceNetwork, ServiceAllocations } from './service-alloc-hook.ts';
import { AllocationRepair } from './service-alloc-repair.ts';

const dirs: string[] = [];
const stores: Store[] = [];
function openStore(dir = mkdtempSync(join(tmpdir(), 'skiff-alloc-'))): {
  store: Store;
  dir: string;
} {
  dirs.push(dir);
  const store = new SqliteStore(join(dir, 'state.db'));
  stores.push(store);
  return { store, dir };
}

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const svc = (name: string, spec: Service['spec']): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP' }], ...spec },
});

async function refusal(p: Promise<unknown>): Promise<SkiffError> {
  try {
    await p;
  } catch (err) {
    if (isSkiffError(err)) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('parseServiceNetwork', () => {
  it.each([
    [{ serviceCidr: '10.43.0.1/16' }, 'host bits are set'],
    [{ serviceCidr: '10.43.0.0/31' }, 'prefix of /30 or wider'],
    [{ serviceCidr: 'fd00::/108' }, 'is not an IPv4 CIDR'],
    [{ nodePortRange: '32767-30000' }, 'is not a port range'],
    [{ nodePortRange: '0-10' }, 'is not a port range'],
  ])('refuses %j', (opts, message) => {
    expect(() => parseServiceNetwork(opts)).toThrow(message);
  });

  it('defaults to 10.43.0.0/16 and 30000-32767', () => {
    const { cidr, ports } = parseServiceNetwork();
    expect([cidr.text, cidr.size, ports.min, ports.max]).toEqual([
      '10.43.0.0/16',
      65536,
      30000,
      32767,
    ]);
  });
});

describe('RangeAllocator', () => {
  it('hands out every address of a small range once, across a restart, then reports it full', async () => {
    const { store, dir } = openStore();
    const first = new ServiceAllocations(store, { serviceCidr: '10.96.0.0/28' });
    const owner = { namespace: 'default', name: 'a' };
    const got = new Set<number>();
    for (let i = 0; i < 7; i++) got.add((await first.ips.allocate(owner)) as number);
    await store.close();
    stores.pop();
    const { store: again } = openStore(dir);
    const second = new ServiceAllocations(again, { serviceCidr: '10.96.0.0/28' });
    for (let i = 0; i < 7; i++) got.add((await second.ips.allocate(owner)) as number);
    // .0 and .15 are the network and broadcast addresses.
    expect([...got].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(await second.ips.allocate(owner)).toBeUndefined();
  });

  it('gives 50 parallel allocations 50 different values, and two allocators on one store too', async () => {
    const { store } = openStore();
    const a = new ServiceAllocations(store);
    const b = new ServiceAllocations(store, {});
    const owner = { namespace: 'default', name: 'x' };
    const values = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).nodePorts.allocate(owner)),
    );
    expect(new Set(values).size).toBe(50);
    for (const v of values) expect(v).toBeGreaterThanOrEqual(30000);
  });

  it('prefers values above the static band, keeping low requested ones free', async () => {
    const { store } = openStore();
    const alloc = new ServiceAllocations(store);
    const owner = { namespace: 'default', name: 'x' };
    for (let i = 0; i < 20; i++)
      expect(await alloc.ips.allocate(owner)).toBeGreaterThanOrEqual(256);
    expect(await alloc.ips.reserve(10, owner)).toBe('ok');
    expect(await alloc.ips.reserve(10, owner)).toBe('taken');
    expect(await alloc.ips.reserve(70000, owner)).toBe('out-of-range');
  });

  it('release leaves a value another owner holds', async () => {
    const { store } = openStore();
    const alloc = new ServiceAllocations(store);
    await alloc.nodePorts.reserve(30100, { namespace: 'a', name: 'one' });
    await alloc.nodePorts.release(30100, { namespace: 'a', name: 'two' });
    expect(await alloc.nodePorts.isFree(30100)).toBe(false);
    await alloc.nodePorts.release(30100, { namespace: 'a', name: 'one' });
    expect(await alloc.nodePorts.isFree(30100)).toBe(true);
  });
});

describe('ServiceAllocations', () => {
  it('allocates a cluster IP with families, and a node port per port for NodePort', async () => {
    const { store } = openStore();
    const alloc = new ServiceAllocations(store);
    const s = svc('np', {
      type: 'NodePort',
      ports: [
        { name: 'a', port: 80, protocol: 'TCP' },
        { name: 'b', port: 81, protocol: 'TCP', nodePort: 30081 },
      ],
    });
    const pending = await alloc.allocate(s, undefined, false);
    await pending.commit();
    expect(s.spec?.clusterIP).toMatch(/^10\.43\.\d+\.\d+$/);
    expect(s.spec?.clusterIPs).toEqual([s.spec?.clusterIP]);
    expect(s.spec?.ipFamilies).toEqual(['IPv4']);
    expect(s.spec?.ipFamilyPolicy).toBe('SingleStack');
    expect(s.spec?.ports?.[1]?.nodePort).toBe(30081);
    expect(s.spec?.ports?.[0]?.nodePort).toBeGreaterThanOrEqual(30000);
    expect(await alloc.nodePorts.isFree(30081)).toBe(false);
  });

  it.each([
    [
      'an address outside the range',
      { clusterIP: '10.0.0.5' },
      'spec.clusterIPs: Invalid value: "10.0.0.5": failed to allocate IP 10.0.0.5: provided IP is not in the valid range. The range of valid IPs is 10.43.0.0/16',
    ],
    [
      'a taken address',
      { clusterIP: '10.43.0.50' },
      'spec.clusterIPs: Invalid value: "10.43.0.50": failed to allocate IP 10.43.0.50: provided IP is already allocated',
    ],
    [
      'a node port out of range',
      { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 80 }] },
      'spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
    ],
    [
      'a taken node port',
      { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 30500 }] },
      'spec.ports[0].nodePort: Invalid value: 30500: provided port is already allocated',
    ],
    [
      'one node port twice for one protocol',
      {
        type: 'NodePort',
        ports: [
          { name: 'a', port: 80, protocol: 'TCP', nodePort: 30600 },
          { name: 'b', port: 81, protocol: 'TCP', nodePort: 30600 },
        ],
      },
      'spec.ports[1].nodePort: Duplicate value: 30600',
    ],
  ] as [string, Service['spec'], string][])(
    'refuses %s with 422 and takes nothing',
    async (_, spec, message) => {
      const { store } = openStore();
      const alloc = new ServiceAllocations(store);
      await (
        await alloc.allocate(
          svc('holder', {
            type: 'NodePort',
            clusterIP: '10.43.0.50',
            ports: [{ port: 1, protocol: 'TCP', nodePort: 30500 }],
          }),
          undefined,
          false,
        )
      ).commit();
      const before = await store.list(allocationPrefix);
      const err = await refusal(alloc.allocate(svc('bad', spec), undefined, false));
      expect(err.code).toBe('Invalid');
      expect(err.message).toBe(`Service "bad" is invalid: ${message}`);
      const after = await store.list(allocationPrefix);
      expect(after.items.map((i) => i.key)).toEqual(before.items.map((i) => i.key));
    },
  );

  it('a dry run fills in values but takes none', async () => {
    const { store } = openStore();
    const alloc = new ServiceAllocations(store);
    const s = svc('dry', { type: 'NodePort' });
    await alloc.allocate(s, undefined, true);
    expect(s.spec?.clusterIP).toMatch(/^10\.43\./);
    expect(s.spec?.ports?.[0]?.nodePort).toBeGreaterThanOrEqual(30000);
    expect(await store.count(allocationPrefix)).toBe(0);
  });

  it('an update keeps what the Service holds, a type change takes and gives up node ports after commit', async () => {
    const { store } = openStore();
    const alloc = new ServiceAllocations(store);
    const v1 = svc('web', {
      type: 'NodePort',
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    });
    await (await alloc.allocate(v1, undefined, false)).commit();
    const ip = v1.spec?.clusterIP;
    const port = v1.spec?.ports?.[0]?.nodePort as number;
    // A replace that leaves the allocated values out keeps them.
    const v2 = svc('web', {
      type: 'NodePort',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
    alloc.prepareUpdate(v2, v1);
    await (await alloc.allocate(v2, v1, false)).commit();
    expect(v2.spec?.clusterIP).toBe(ip);
    expect(v2.spec?.ports?.[0]?.nodePort).toBe(port);
    // Back to ClusterIP: the node port is dropped and freed once the write is stored.
    const v3 = structuredClone(v2);
    (v3.spec as NonNullable<Service['spec']>).type = 'ClusterIP';
    alloc.prepareUpdate(v3, v2);
    expect(v3.spec?.ports?.[0]?.nodePort).toBeUndefined();
    const pending = await alloc.allocate(v3, v2, false);
    expect(await alloc.nodePorts.isFree(port)).toBe(false);
    await pending.commit();
    expect(await alloc.nodePorts.isFree(port)).toBe(true);
    await alloc.release(v3);
    expect(await store.count(allocationPrefix)).toBe(0);
  });

  it('becoming ExternalName gives up the address once stored; coming back takes a new one', async () => {
    const { store } = openStore();
    const alloc = new ServiceAllocations(store);
    const v1 = svc('flip', {});
    await (await alloc.allocate(v1, undefined, false)).commit();
    const v2 = structuredClone(v1);
    Object.assign(v2.spec as object, { type: 'ExternalName', externalName: 'example.org' });
    alloc.prepareUpdate(v2, v1);
    expect(v2.spec?.clusterIP).toBeUndefined();
    await (await alloc.allocate(v2, v1, false)).commit();
    expect(await store.count(allocationPrefix)).toBe(0);
    const v3 = svc('flip', {});
    alloc.prepareUpdate(v3, v2);
    await (await alloc.allocate(v3, v2, false)).commit();
    expect(v3.spec?.clusterIP).toMatch(/^10\.43\./);
    expect(await store.count(allocationPrefix)).toBe(1);
  });

  it('a LoadBalancer with externalTrafficPolicy Local gets a health check node port, kept and then given up', async () => {
    const { store } = openStore();
    const alloc = new ServiceAllocations(store);
    const v1 = svc('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' });
    await (await alloc.allocate(v1, undefined, false)).commit();
    const hc = v1.spec?.healthCheckNodePort as number;
    expect(hc).toBeGreaterThanOrEqual(30000);
    expect(hc).not.toBe(v1.spec?.ports?.[0]?.nodePort);
    expect(await store.count(allocationPrefix)).toBe(3);
    const v2 = svc('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' });
    alloc.prepareUpdate(v2, v1);
    await (await alloc.allocate(v2, v1, false)).commit();
    expect(v2.spec?.healthCheckNodePort).toBe(hc);
    const v3 = structuredClone(v2);
    (v3.spec as NonNullable<Service['spec']>).externalTrafficPolicy = 'Cluster';
    alloc.prepareUpdate(v3, v2);
    expect(v3.spec?.healthCheckNodePort).toBeUndefined();
    await (await alloc.allocate(v3, v2, false)).commit();
    expect(await alloc.nodePorts.isFree(hc)).toBe(true);
    const taken = svc('lb2', {
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      healthCheckNodePort: v3.spec?.ports?.[0]?.nodePort as number,
    });
    const err = await refusal(alloc.allocate(taken, undefined, false));
    expect(err.message).toContain('spec.healthCheckNodePort: Invalid value');
    expect(err.message).toContain('provided port is already allocated');
  });

  it('a store fault halfway gives back what was taken before it', async () => {
    const { store } = openStore();
    const failing: Store = Object.create(store, {
      create: {
        value: (key: string, value: string) =>
          key.includes('/nodeports/')
            ? Promise.reject(new SkiffError('ServiceUnavailable', 'store unreachable'))
            : store.create(key, value),
      },
    });
    const alloc = new ServiceAllocations(failing);
    const err = await refusal(alloc.allocate(svc('half', { type: 'NodePort' }), undefined, false));
    expect(err.code).toBe('ServiceUnavailable');
    expect(await store.count(allocationPrefix)).toBe(0);
  });

  it('an abort after the commit (a later error on the write path) keeps the stored values', async () => {
    const { store } = openStore();
    const alloc = new ServiceAllocations(store);
    const pending = await alloc.allocate(svc('kept', { type: 'NodePort' }), undefined, false);
    await pending.commit();
    await pending.abort();
    expect(await store.count(allocationPrefix)).toBe(2);
  });

  it('an aborted write gives back what it took', async () => {
    const { store } = openStore();
    const alloc = new ServiceAllocations(store);
    const s = svc('gone', { type: 'NodePort', clusterIP: '10.43.1.1' });
    const pending = await alloc.allocate(s, undefined, false);
    expect(await store.count(allocationPrefix)).toBe(2);
    await pending.abort();
    expect(await store.count(allocationPrefix)).toBe(0);
  });

  it('headless and ExternalName Services take no address', async () => {
    const { store } = openStore();
    const alloc = new ServiceAllocations(store);
    const headless = svc('h', { clusterIP: 'None' });
    await alloc.allocate(headless, undefined, false);
    expect(headless.spec?.clusterIPs).toEqual(['None']);
    const ext = svc('e', { type: 'ExternalName', externalName: 'example.org', ports: [] });
    await alloc.allocate(ext, undefined, false);
    expect(ext.spec?.clusterIP).toBeUndefined();
    expect(await store.count(allocationPrefix)).toBe(0);
  });
});

describe('AllocationRepair', () => {
  it('records values of stored Services and frees unused records after two passes', async () => {
    const { store } = openStore();
    const alloc = new ServiceAllocations(store);
    await alloc.ips.reserve(500, { namespace: 'default', name: 'crashed' });
    const services = [svc('old', { clusterIP: '10.43.0.77' })];
    const repair = new AllocationRepair(alloc, async () => services);
    const first = await repair.run();
    expect(first).toEqual({ recorded: 1, freed: 0, conflicts: [] });
    expect(await alloc.ips.isFree(77)).toBe(false);
    expect(await alloc.ips.isFree(500)).toBe(false);
    const second = await repair.run();
    expect(second.freed).toBe(1);
    expect(await alloc.ips.isFree(500)).toBe(true);
    expect(await alloc.ips.isFree(77)).toBe(false);
  });
});
