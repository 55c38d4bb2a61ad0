import { createSocket, type Socket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { connect, createServer, type Server } from 'node:net';
import * as dns from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureKubeDns } from '../../plugins/dns-cluster/cluster-dns.ts';
import {
  DnsResponder,
  type RunningClusterDns,
  startClusterDns,
} from '../../plugins/dns-cluster/index.ts';
import { udpAddresses } from '../../plugins/dns-cluster/server.ts';
import type { api, KubeClient } from '../../sdk/index.ts';
import { type ApiServer, startApiServer } from '../controller-kit/api-server.ts';

// The cluster DNS against a real `skiff server`: real UDP and TCP queries (dns-packet on this
// side, and Node's own resolver), answers that follow Service changes, and names outside the
// cluster relayed to a second DNS server the test runs.

const services = { group: '', version: 'v1', plural: 'services', namespace: 'default' };
const endpoints = { group: '', version: 'v1', plural: 'endpoints', namespace: 'default' };
const system = { group: '', version: 'v1', plural: 'services', namespace: 'kube-system' };
const systemEndpoints = { group: '', version: 'v1', plural: 'endpoints', namespace: 'kube-system' };

let server: ApiServer;
let client: KubeClient;
let cluster: RunningClusterDns;
let upstream: Socket;
let upstreamTcp: Server;
let upstreamPort = 0;
let id = 1;

type Reply = dns.DecodedPacket & { rcode?: string };

function udpQuery(port: number, name: string, type: dns.RecordType): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const qid = id++ % 65535;
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no UDP answer for ${name} ${type}`));
    }, 3000);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(dns.decode(msg) as Reply);
    });
    socket.send(
      dns.encode({
        type: 'query',
        id: qid,
        flags: dns.RECURSION_DESIRED,
        questions: [{ type, name }],
      }),
      port,
      '127.0.0.1',
    );
  });
}

function tcpQuery(port: number, name: string, type: dns.RecordType): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const conn = connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    conn.on('error', reject);
    conn.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        conn.end();
        resolve(dns.streamDecode(buf) as Reply);
      }
    });
    conn.write(dns.streamEncode({ type: 'query', id: id++ % 65535, questions: [{ type, name }] }));
  });
}

const port = () => cluster.server.port;
const data = (r: Reply) => (r.answers ?? []).map((a) => (a as { data: unknown }).data);

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}

beforeAll(async () => {
  // The upstream resolver: example.test is 192.0.2.1; big.test has 40 addresses, too many for
  // UDP, where it answers truncated (TCP gets them all); anything else is NXDOMAIN.
  const answer = (msg: Buffer, udp: boolean): Buffer => {
    const q = dns.decode(msg);
    const name = q.questions?.[0]?.name ?? '';
    const answers: dns.Answer[] =
      name === 'example.test'
        ? [{ type: 'A', name, ttl: 60, data: '192.0.2.1' }]
        : name === 'big.test'
          ? Array.from({ length: 40 }, (_, i) => ({
              type: 'A',
              name,
              ttl: 60,
              data: `198.51.100.${i}`,
            }))
          : [];
    const truncated = udp && answers.length > 1;
    return dns.encode({
      type: 'response',
      id: q.id,
      flags:
        dns.RECURSION_AVAILABLE |
        (truncated ? dns.TRUNCATED_RESPONSE : 0) |
        (answers.length > 0 ? 0 : 3),
      questions: q.questions,
      answers: truncated ? [] : answers,
    });
  };
  upstream = createSocket('udp4');
  upstream.on('message', (msg, from) => upstream.send(answer(msg, true), from.port, from.address));
  await new Promise<void>((r) => upstream.bind({ address: '127.0.0.1', port: 0 }, () => r()));
  upstreamPort = upstream.address().port;
  upstreamTcp = createServer((conn) => {
    conn.on('data', (chunk) => {
      conn.end(dns.streamEncode(dns.decode(answer(chunk.subarray(2), false))));
    });
  });
  await new Promise<void>((r) => upstreamTcp.listen({ host: '127.0.0.1', port: upstreamPort }, r));
  server = await startApiServer();
  client = server.client();
  cluster = await startClusterDns(client, {
    host: '127.0.0.1',
    port: 0,
    domain: 'cluster.local',
    upstreams: [`127.0.0.1:${upstreamPort}`],
    serviceCidr: '10.43.0.0/16',
  });
  await cluster.ready;
});

afterAll(async () => {
  await cluster?.stop();
  client?.close();
  await server?.remove();
  upstream?.close();
  await new Promise((r) => (upstreamTcp ? upstreamTcp.close(r) : r(undefined)));
});

describe('cluster DNS', () => {
  it('puts the kube-dns Service at .10 with its endpoints at this server', async () => {
    const svc = await client.get<api.Service>(system, 'kube-dns');
    expect(svc.spec?.clusterIP).toBe('10.43.0.10');
    expect(svc.spec?.ports?.map((p) => [p.name, p.port, p.protocol])).toEqual([
      ['dns', 53, 'UDP'],
      ['dns-tcp', 53, 'TCP'],
    ]);
    const ep = await client.get<api.Endpoints>(systemEndpoints, 'kube-dns');
    expect(ep.subsets?.[0]?.addresses?.[0]?.ip).toBe('127.0.0.1');
    expect(ep.subsets?.[0]?.ports?.[0]?.port).toBe(port());
  });

  it('finds its kube-dns Service again on a restart instead of tripping over its address', async () => {
    // A second start (the control plane restarted) must accept what the first one made.
    await ensureKubeDns(client, {
      serviceCidr: '10.43.0.0/16',
      address: '127.0.0.1',
      port: port(),
    });
    const svc = await client.get<api.Service>(system, 'kube-dns');
    expect(svc.spec?.clusterIP).toBe('10.43.0.10');
    // Node proxies forward from slices: kube-dns has one naming this server.
    const slice = await client.get<api.KubeObject & { endpoints?: { addresses: string[] }[] }>(
      {
        group: 'discovery.k8s.io',
        version: 'v1',
        plural: 'endpointslices',
        namespace: 'kube-system',
      },
      'kube-dns',
    );
    expect(slice.metadata?.labels?.['kubernetes.io/service-name']).toBe('kube-dns');
    expect(slice.endpoints?.[0]?.addresses).toEqual(['127.0.0.1']);
  });

  it('answers UDP from each local address when listening on the wildcard', () => {
    const interfaces = {
      lo: [{ address: '127.0.0.1', family: 'IPv4' }],
      eth0: [
        { address: '192.0.2.2', family: 'IPv4' },
        { address: 'fe80::1', family: 'IPv6' },
      ],
      cni0: [{ address: '10.89.0.1', family: 'IPv4' }],
    } as unknown as Parameters<typeof udpAddresses>[1];
    expect(udpAddresses('0.0.0.0', interfaces)).toEqual(['127.0.0.1', '192.0.2.2', '10.89.0.1']);
    expect(udpAddresses('127.0.0.1', interfaces)).toEqual(['127.0.0.1']);
  });

  it('answers A over UDP and TCP, empty AAAA with SOA, and SRV for a named port', async () => {
    const made = await client.create<api.Service>(services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    });
    const ip = made.spec?.clusterIP;
    const name = 'web.default.svc.cluster.local';
    const udp = await until('web A', async () => {
      const r = await udpQuery(port(), name, 'A');
      return r.rcode === 'NOERROR' && (r.answers ?? []).length > 0 ? r : undefined;
    });
    expect(data(udp)).toEqual([ip]);
    expect(udp.flag_aa).toBe(true);
    const tcp = await tcpQuery(port(), name, 'A');
    expect(data(tcp)).toEqual([ip]);
    const aaaa = await udpQuery(port(), name, 'AAAA');
    expect(aaaa.rcode).toBe('NOERROR');
    expect(aaaa.answers).toEqual([]);
    expect(aaaa.authorities?.[0]?.type).toBe('SOA');
    const srv = await udpQuery(port(), '_http._tcp.web.default.svc.cluster.local', 'SRV');
    expect(data(srv)).toEqual([{ priority: 0, weight: 100, port: 80, target: name }]);
    expect(data({ answers: srv.additionals } as Reply)).toEqual([ip]);
    // Node's own resolver (c-ares) reads the same answers.
    const resolver = new Resolver();
    resolver.setServers([`127.0.0.1:${port()}`]);
    expect(await resolver.resolve4(name)).toEqual([ip]);
    expect(await resolver.resolveSrv('_http._tcp.web.default.svc.cluster.local')).toEqual([
      { name, port: 80, priority: 0, weight: 100 },
    ]);
  });

  it('resolves short names the way a pod resolver walks its search path', async () => {
    const search = ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'];
    for (const short of ['web', 'web.default']) {
      let found: unknown;
      for (const suffix of search) {
        const r = await udpQuery(port(), `${short}.${suffix}`, 'A');
        if (r.rcode === 'NOERROR' && (r.answers ?? []).length > 0) {
          found = data(r)[0];
          break;
        }
      }
      expect(found, short).toBe((await client.get<api.Service>(services, 'web')).spec?.clusterIP);
    }
  });

  it('headless Services answer with their endpoints, ExternalName with a CNAME, pods by address', async () => {
    await client.create(services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'db' },
      spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] },
    });
    await client.create(endpoints, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'db' },
      subsets: [
        {
          addresses: [{ ip: '10.42.0.7', hostname: 'db-0' }, { ip: '10.42.0.8' }],
          ports: [{ name: 'pg', port: 5432 }],
        },
      ],
    } as api.Endpoints);
    const a = await until('db A', async () => {
      const r = await udpQuery(port(), 'db.default.svc.cluster.local', 'A');
      return (r.answers ?? []).length === 2 ? r : undefined;
    });
    expect(data(a).sort()).toEqual(['10.42.0.7', '10.42.0.8']);
    const one = await udpQuery(port(), 'db-0.db.default.svc.cluster.local', 'A');
    expect(data(one)).toEqual(['10.42.0.7']);
    const srv = await udpQuery(port(), '_pg._tcp.db.default.svc.cluster.local', 'SRV');
    expect(data(srv)).toEqual([
      { priority: 0, weight: 100, port: 5432, target: 'db-0.db.default.svc.cluster.local' },
      { priority: 0, weight: 100, port: 5432, target: '10-42-0-8.db.default.svc.cluster.local' },
    ]);
    await client.create(services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'ext' },
      spec: { type: 'ExternalName', externalName: 'example.test' },
    });
    const cname = await until('ext CNAME', async () => {
      const r = await udpQuery(port(), 'ext.default.svc.cluster.local', 'A');
      return (r.answers ?? []).length > 0 ? r : undefined;
    });
    expect(cname.answers?.[0]).toMatchObject({ type: 'CNAME', data: 'example.test' });
    const pod = await udpQuery(port(), '10-42-1-9.default.pod.cluster.local', 'A');
    expect(data(pod)).toEqual(['10.42.1.9']);
  });

  it('unknown names in the domain are NXDOMAIN with the SOA', async () => {
    for (const name of [
      'nope.default.svc.cluster.local',
      'web.elsewhere.svc.cluster.local',
      '_nope._tcp.web.default.svc.cluster.local',
      'x.y.cluster.local',
    ]) {
      const r = await udpQuery(port(), name, 'A');
      expect(r.rcode, name).toBe('NXDOMAIN');
      expect(r.authorities?.[0]?.type, name).toBe('SOA');
    }
  });

  it('follows Service changes: a new address, a changed ExternalName, a deleted Service', async () => {
    const made = await client.create<api.Service>(services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'moving' },
      spec: { ports: [{ port: 80 }] },
    });
    await until('moving appears', async () =>
      data(await udpQuery(port(), 'moving.default.svc.cluster.local', 'A'))[0] ===
      made.spec?.clusterIP
        ? true
        : undefined,
    );
    const ext = await client.get<api.Service>(services, 'ext');
    await client.update(services, { ...ext, spec: { ...ext.spec, externalName: 'other.example' } });
    await until('ext CNAME changes', async () => {
      const r = await udpQuery(port(), 'ext.default.svc.cluster.local', 'A');
      return (r.answers?.[0] as { data?: string } | undefined)?.data === 'other.example'
        ? true
        : undefined;
    });
    await client.delete(services, 'moving');
    await until('moving is gone', async () =>
      (await udpQuery(port(), 'moving.default.svc.cluster.local', 'A')).rcode === 'NXDOMAIN'
        ? true
        : undefined,
    );
  });

  it('relays names outside the cluster to the upstream, and refuses them without one', async () => {
    const r = await udpQuery(port(), 'example.test', 'A');
    expect(r.rcode).toBe('NOERROR');
    expect(data(r)).toEqual(['192.0.2.1']);
    // Truncated by the upstream over UDP: relayed through TCP whole, and cut again for a UDP
    // client without EDNS (which then asks over TCP).
    const big = await tcpQuery(port(), 'big.test', 'A');
    expect(big.answers).toHaveLength(40);
    const bigUdp = await udpQuery(port(), 'big.test', 'A');
    expect(bigUdp.flag_tc).toBe(true);
    const missing = await udpQuery(port(), 'missing.test', 'A');
    expect(missing.rcode).toBe('NXDOMAIN');
    const alone = new DnsResponder({
      port: 0,
      domain: 'cluster.local',
      upstreams: [],
      sources: { service: () => undefined, endpoints: () => undefined },
    });
    const refused = await alone.respond(
      dns.encode({ type: 'query', id: 7, questions: [{ type: 'A', name: 'example.test' }] }),
    );
    expect((dns.decode(refused as Buffer) as Reply).rcode).toBe('REFUSED');
    const garbage = await alone.respond(Buffer.from('not a dns message at all'));
    expect((dns.decode(garbage as Buffer) as Reply).rcode).toBe('FORMERR');
  });
});
