// The iptables service type run inside a network namespace the test builds, forwarding to
// busybox httpd in two endpoint namespaces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceRoute } from '../../sdk/index.ts';
import {
  connectError,
  makeTopology,
  natTable,
  type ProxyChild,
  startProxyChild,
  type Topology,
} from './netns/topology.ts';

let topo: Topology;
let proxy: ProxyChild;
let before: string;
let filterBefore: string;

const clusterIP = '10.43.0.20';
const lbIP = '127.0.1.5';

/** web is the service under test; ep2 listens on another port, as a named targetPort allows. */
function web(endpoints: Topology['endpoints'], extra: Partial<ServiceRoute> = {}): ServiceRoute {
  return {
    namespace: 'default',
    name: 'web',
    type: 'LoadBalancer',
    clusterIPs: [clusterIP],
    loadBalancerIPs: [lbIP],
    ports: [
      {
        name: 'http',
        protocol: 'TCP',
        port: 80,
        nodePort: 30080,
        endpoints: endpoints.map((e) => ({ ip: e.ip, port: e.port })),
      },
    ],
    ...extra,
  };
}

async function hits(ns: string, url: string, n: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const body = await topo.get(ns, url);
    seen.set(body, (seen.get(body) ?? 0) + 1);
  }
  return seen;
}

beforeAll(async () => {
  topo = await makeTopology([8080, 9090]);
  before = await natTable(topo.node);
  filterBefore = await natTable(topo.node, 'filter');
  proxy = startProxyChild(topo.node);
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await topo?.destroy();
});

describe('iptables service forwarding in a network namespace', () => {
  it('spreads cluster IP traffic over both endpoints, each on its own target port', async () => {
    await proxy.sync([web(topo.endpoints)]);
    const seen = await hits(topo.node, `http://${clusterIP}/`, 30);
    expect([...seen.keys()].sort()).toEqual(['ep1', 'ep2']);
  }, 60_000);

  it('is idempotent: a second sync of the same routes leaves the same table', async () => {
    const first = await natTable(topo.node);
    await proxy.sync([web(topo.endpoints)]);
    expect(await natTable(topo.node)).toBe(first);
    expect(first).toContain(
      '-A PREROUTING -m comment --comment "skiff service portals" -j SKIFF-SERVICES',
    );
    expect(first).toContain(
      '-A OUTPUT -m comment --comment "skiff service portals" -j SKIFF-SERVICES',
    );
    expect(first).toContain(
      '-A POSTROUTING -m comment --comment "skiff postrouting rules" -j SKIFF-POSTROUTING',
    );
  }, 60_000);

  it('reaches the node port from another machine and on the node itself', async () => {
    const outside = await hits(topo.client, `http://${topo.nodeIP}:30080/`, 6);
    expect([...outside.keys()].every((b) => b === 'ep1' || b === 'ep2')).toBe(true);
    expect(await topo.get(topo.node, 'http://127.0.0.1:30080/')).toMatch(/^ep[12]$/);
    expect(await topo.get(topo.node, `http://${topo.nodeIP}:30080/`)).toMatch(/^ep[12]$/);
  }, 60_000);

  it('reaches the loopback load-balancer address', async () => {
    const seen = await hits(topo.node, `http://${lbIP}/`, 20);
    expect([...seen.keys()].sort()).toEqual(['ep1', 'ep2']);
  }, 60_000);

  it('stops sending to an endpoint once it is removed', async () => {
    await proxy.sync([web(topo.endpoints.slice(0, 1))]);
    const seen = await hits(topo.node, `http://${clusterIP}/`, 12);
    expect([...seen.keys()]).toEqual(['ep1']);
  }, 60_000);

  it('keeps a client on one endpoint with ClientIP session affinity', async () => {
    await proxy.sync([web(topo.endpoints, { affinitySeconds: 600 })]);
    const seen = await hits(topo.node, `http://${clusterIP}/`, 16);
    expect(seen.size).toBe(1);
    expect([...seen.values()]).toEqual([16]);
  }, 60_000);

  it('refuses at once a service port with no endpoint, on every address, until one appears', async () => {
    await proxy.sync([web([])]);
    expect(await connectError(topo.node, clusterIP, 80)).toBe('refused');
    expect(await connectError(topo.node, lbIP, 80)).toBe('refused');
    expect(await connectError(topo.client, topo.nodeIP, 30080)).toBe('refused');
    const filter = await natTable(topo.node, 'filter');
    expect(filter.match(/-j REJECT --reject-with icmp-port-unreachable/g)).toHaveLength(3);
    await proxy.sync([web(topo.endpoints)]);
    expect(await connectError(topo.node, clusterIP, 80)).toBe('connected');
    expect(await connectError(topo.client, topo.nodeIP, 30080)).toBe('connected');
    expect(await natTable(topo.node, 'filter')).not.toContain('REJECT');
  }, 60_000);

  it('a new proxy process converges from what the last one left (agent restart)', async () => {
    await proxy.stop();
    proxy = startProxyChild(topo.node);
    const other: ServiceRoute = {
      namespace: 'default',
      name: 'other',
      type: 'ClusterIP',
      clusterIPs: ['10.43.0.30'],
      ports: [
        { protocol: 'TCP', port: 8000, endpoints: [{ ip: topo.endpoints[1]!.ip, port: 9090 }] },
      ],
    };
    await proxy.sync([other]);
    const table = await natTable(topo.node);
    expect(table.match(/^:SKIFF-SVC-/gm)).toHaveLength(1);
    expect(table).not.toContain(clusterIP);
    expect(await topo.get(topo.node, 'http://10.43.0.30:8000/')).toBe('ep2');
    expect(await topo.get(topo.node, `http://${clusterIP}/`)).toBe('FAIL');
  }, 60_000);

  it('removes chains of services that are gone, and close() restores the table', async () => {
    await proxy.sync([]);
    expect(await natTable(topo.node)).not.toMatch(/SKIFF-(SVC|SEP)-/);
    await proxy.close();
    expect(await natTable(topo.node)).toBe(before);
    expect(await natTable(topo.node, 'filter')).toBe(filterBefore);
    await proxy.close();
    expect(await natTable(topo.node)).toBe(before);
  }, 60_000);
});
