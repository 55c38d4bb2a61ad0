// The DNS server: UDP and TCP on one address, cluster names answered from the caches, other
// names relayed to the host's resolvers.
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { networkInterfaces } from 'node:os';
import * as dns from 'dns-packet';
import { answerCluster, type DnsSources, inDomain } from './records.ts';

/** DnsServerOptions say where to listen and how to answer. */
export interface DnsServerOptions {
  /** host is the address to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** port is the UDP and TCP port; 0 picks a free one (TCP first, then UDP on the same). */
  readonly port: number;
  /** domain is the cluster domain (`cluster.local`). */
  readonly domain: string;
  readonly ttl?: number;
  readonly sources: DnsSources;
  /** upstreams are resolvers (`ip` or `ip:port`) for names outside the domain; none: REFUSED. */
  readonly upstreams: readonly string[];
  /** forwardTimeoutMs bounds each upstream try (default 2000). */
  readonly forwardTimeoutMs?: number;
}

/** RunningDnsServer is a started server; close() stops both sockets. */
export interface RunningDnsServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

const rcodes = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

/** upstreamsFromResolvConf reads the nameserver lines of a resolv.conf (none if unreadable). */
export function upstreamsFromResolvConf(path = '/etc/resolv.conf'): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m?.[1]) out.push(m[1]);
  }
  return out;
}

function splitHostPort(upstream: string): { host: string; port: number } {
  const bracketed = /^\[(.+)\](?::(\d+))?$/.exec(upstream);
  if (bracketed) return { host: bracketed[1] ?? '', port: Number(bracketed[2] ?? 53) };
  const parts = upstream.split(':');
  if (parts.length === 2) return { host: parts[0] ?? '', port: Number(parts[1]) };
  return { host: upstream, port: 53 };
}

function reply(query: dns.Packet, rcode: number, authoritative: boolean): dns.Packet {
  return {
    type: 'response',
    id: query.id ?? 0,
    flags:
      (authoritative ? dns.AUTHORITATIVE_ANSWER : 0) |
      ((query.flags ?? 0) & dns.RECURSION_DESIRED) |
      dns.RECURSION_AVAILABLE |
      rcode,
    questions: query.questions ?? [],
    answers: [],
    authorities: [],
    additionals: [],
  };
}

/** DnsResponder turns a query's bytes into the answer's bytes. */
export class DnsResponder {
  readonly #opts: DnsServerOptions;
  readonly #upstreams: { host: string; port: number }[];

  constructor(opts: DnsServerOptions) {
    this.#opts = opts;
    this.#upstreams = opts.upstreams.map(splitHostPort);
  }

  /** respond answers one query; undefined when the bytes are not a DNS message at all. */
  async respond(bytes: Buffer): Promise<Buffer | undefined> {
    let query: dns.DecodedPacket;
    try {
      query = dns.decode(bytes);
    } catch {
      if (bytes.length < 12) return undefined;
      return dns.encode(reply({ id: bytes.readUInt16BE(0) }, rcodes.FORMERR, false));
    }
    if (query.type !== 'query' || (query.questions ?? []).length !== 1)
      return dns.encode(reply(query, rcodes.FORMERR, false));
    const q = query.questions?.[0] as dns.Question;
    const name = q.name.toLowerCase().replace(/\.$/, '');
    const domain = this.#opts.domain;
    if (!inDomain(name, domain)) return this.#forward(query, bytes);
    const answer = answerCluster(name, q.type, this.#opts.sources, {
      domain,
      ttl: this.#opts.ttl ?? 5,
    });
    const out = reply(query, rcodes[answer.rcode], true);
    out.answers = answer.answers;
    out.authorities = answer.authorities;
    out.additionals = answer.additionals;
    return dns.encode(out);
  }

  async #forward(query: dns.Packet, bytes: Buffer): Promise<Buffer> {
    if (this.#upstreams.length === 0) return dns.encode(reply(query, rcodes.REFUSED, false));
    const timeout = this.#opts.forwardTimeoutMs ?? 2000;
    for (const upstream of this.#upstreams) {
      const answer = await exchange(upstream, bytes, timeout);
      if (answer === undefined) continue;
      // A truncated answer is asked again over TCP, as a stub resolver would.
      if ((answer.readUInt16BE(2) & dns.TRUNCATED_RESPONSE) === 0) return answer;
      return (await exchangeTcp(upstream, bytes, timeout)) ?? answer;
    }
    return dns.encode(reply(query, rcodes.SERVFAIL, false));
  }
}

// One UDP exchange with an upstream; undefined when it does not answer in time.
function exchange(
  to: { host: string; port: number },
  bytes: Buffer,
  timeoutMs: number,
): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(to.host.includes(':') ? 'udp6' : 'udp4');
    const id = bytes.readUInt16BE(0);
    const finish = (answer: Buffer | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on('error', () => finish(undefined));
    socket.on('message', (msg) => {
      if (msg.length >= 2 && msg.readUInt16BE(0) === id) finish(msg);
    });
    socket.send(bytes, to.port, to.host);
  });
}

// One TCP exchange with an upstream (length-prefixed messages); undefined on failure.
function exchangeTcp(
  to: { host: string; port: number },
  bytes: Buffer,
  timeoutMs: number,
): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const conn = connect({ host: to.host, port: to.port });
    let pending = Buffer.alloc(0);
    const finish = (answer: Buffer | undefined) => {
      clearTimeout(timer);
      conn.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    conn.on('error', () => finish(undefined));
    conn.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      if (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0))
        finish(Buffer.from(pending.subarray(2, 2 + pending.readUInt16BE(0))));
    });
    const framed = Buffer.alloc(2 + bytes.length);
    framed.writeUInt16BE(bytes.length, 0);
    bytes.copy(framed, 2);
    conn.write(framed);
  });
}

// Answers too big for a plain UDP reply are cut to the header and question with TC set, so
// the client asks again over TCP; EDNS clients say how much they take.
function fitUdp(query: Buffer, answer: Buffer): Buffer {
  let limit = 512;
  try {
    const opt = dns.decode(query).additionals?.find((r) => r.type === 'OPT') as
      | { udpPayloadSize?: number }
      | undefined;
    if (opt?.udpPayloadSize) limit = Math.max(512, opt.udpPayloadSize);
  } catch {
    return answer;
  }
  if (answer.length <= limit) return answer;
  const decoded = dns.decode(answer);
  return dns.encode({
    ...decoded,
    flags: (decoded.flags ?? 0) | dns.TRUNCATED_RESPONSE,
    answers: [],
    authorities: [],
    additionals: [],
  });
}

/** startDnsServer listens on UDP and TCP and answers until closed. */
export async function startDnsServer(opts: DnsServerOptions): Promise<RunningDnsServer> {
  const host = opts.host ?? '127.0.0.1';
  const responder = new DnsResponder(opts);
  const tcp: Server = createServer((conn) => {
    let pending = Buffer.alloc(0);
    conn.on('error', () => conn.destroy());
    conn.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const size = pending.readUInt16BE(0);
        const message = pending.subarray(2, 2 + size);
        pending = pending.subarray(2 + size);
        void responder.respond(Buffer.from(message)).then((answer) => {
          if (answer === undefined || conn.destroyed) return;
          const framed = Buffer.alloc(2 + answer.length);
          framed.writeUInt16BE(answer.length, 0);
          answer.copy(framed, 2);
          conn.write(framed);
        });
      }
    });
  });
  const sockets = new Set<TcpSocket>();
  tcp.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen({ host, port: opts.port }, () => resolve());
  });
  const address = tcp.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  // A UDP answer must leave from the address the query went to: a resolver drops a reply
  // from any other, and so does the conntrack of a Service address forwarded here. A socket
  // on the wildcard address answers from whatever the route picks (a pod's bridge gateway),
  // so the wildcard becomes one socket per local address.
  const udps: Socket[] = [];
  try {
    for (const address of udpAddresses(host)) {
      const udp: Socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
      udp.on('message', (msg, from) => {
        void responder.respond(msg).then((answer) => {
          if (answer !== undefined) udp.send(fitUdp(msg, answer), from.port, from.address);
        });
      });
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind({ address, port }, () => resolve());
      });
      udp.on('error', () => undefined);
      udps.push(udp);
    }
  } catch (err) {
    for (const udp of udps) udp.close();
    await new Promise((r) => tcp.close(r));
    throw err;
  }
  return {
    host,
    port,
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise((r) => tcp.close(r)),
        ...udps.map((udp) => new Promise<void>((r) => udp.close(() => r()))),
      ]);
    },
  };
}

/** udpAddresses lists where UDP listens: the host itself, or every local IPv4 address for 0.0.0.0. */
export function udpAddresses(
  host: string,
  interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces(),
): string[] {
  if (host !== '0.0.0.0') return [host];
  const addresses = Object.values(interfaces)
    .flatMap((list) => list ?? [])
    .filter((a) => a.family === 'IPv4')
    .map((a) => a.address);
  return [...new Set(addresses)];
}
