// `npm run bench -- services [--quick]`, in two parts.
// 1. Forwarding (bench/services/forwarding.ts): HTTP requests per second through a ClusterIP
//    beside straight to the pod IPs, on a real one-node cluster inside a network namespace.
// 2. DNS: the cluster DNS in this process, backed by `skiff server` as its own process. A
//    queries over UDP for Service names (16 clients, each one query in flight, after a
//    warm-up) and how long a new Service takes to resolve.
// Prints a table per part and ends with one summary line.
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as dns from 'dns-packet';
import { startClusterDns } from '../../plugins/dns-cluster/index.ts';
import { KubeClient } from '../../sdk/client/client.ts';
import { benchForwarding, type ForwardingFigures } from './forwarding.ts';

const quick = process.argv.includes('--quick');
const clients = 16;
const serviceCount = quick ? 50 : 200;
const queries = quick ? 5_000 : 40_000;
const services = { group: '', version: 'v1', plural: 'services', namespace: 'default' };

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;

function startServer(dir: string): Promise<ChildProcess> {
  const cli = fileURLToPath(new URL('../../core/cli/skiff.mjs', import.meta.url));
  const child = spawn(process.execPath, [cli, 'server', '--data-dir', dir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
      if (out.includes('listening on')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`skiff server exited ${code}: ${out}`)));
  });
}

/** Querier keeps one UDP socket and one query in flight, as a stub resolver does. */
class Querier {
  readonly #socket = createSocket('udp4');
  readonly #port: number;
  #id = 0;
  #waiting: ((msg: Buffer) => void) | undefined;

  constructor(port: number) {
    this.#port = port;
    this.#socket.on('message', (msg) => this.#waiting?.(msg));
  }

  ask(name: string): Promise<dns.DecodedPacket> {
    this.#id = (this.#id + 1) % 65535;
    const id = this.#id;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer for ${name}`)), 2000);
      this.#waiting = (msg) => {
        if (msg.readUInt16BE(0) !== id) return;
        clearTimeout(timer);
        resolve(dns.decode(msg));
      };
      this.#socket.send(
        dns.encode({ type: 'query', id, questions: [{ type: 'A', name }] }),
        this.#port,
        '127.0.0.1',
      );
    });
  }

  close(): void {
    this.#socket.close();
  }
}

function printForwarding(f: ForwardingFigures): void {
  const line = (name: string, s: ForwardingFigures['podIp']) =>
    `${name.padEnd(24)}${`${Math.round(s.perSecond)} req/s`.padEnd(14)}p50 ${s.p50.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms  errors ${s.errors}\n`;
  process.stdout.write(
    `HTTP, a new connection per request, ${f.concurrency} clients, ${f.backends} backends (busybox httpd)\n`,
  );
  process.stdout.write(line('through the ClusterIP', f.clusterIp));
  process.stdout.write(line('straight to pod IPs', f.podIp));
  process.stdout.write(`${'ClusterIP / pod IP'.padEnd(24)}${f.ratio.toFixed(2)}\n\n`);
}

async function main() {
  const forwarding = await benchForwarding(quick);
  printForwarding(forwarding);
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-services-'));
  const server = await startServer(dir);
  const client = KubeClient.fromKubeconfig(join(dir, 'admin.kubeconfig'));
  const cluster = await startClusterDns(client, {
    host: '127.0.0.1',
    port: 0,
    domain: 'cluster.local',
    upstreams: [],
    serviceCidr: '10.43.0.0/16',
  });
  const queriers = Array.from({ length: clients }, () => new Querier(cluster.server.port));
  try {
    await cluster.ready;
    for (let i = 0; i < serviceCount; i++)
      await client.create(services, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `svc-${i}` },
        spec: { ports: [{ port: 80 }] },
      });
    const name = (i: number) => `svc-${i % serviceCount}.default.svc.cluster.local`;
    // Wait until the cache holds every Service, then warm up.
    while (((await queriers[0]?.ask(name(serviceCount - 1)))?.answers ?? []).length === 0);
    const run = async (total: number) => {
      const samples: number[] = [];
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        queriers.map(async (q) => {
          while (next < total) {
            const i = next++;
            const s = performance.now();
            const r = await q.ask(name(i));
            samples.push(performance.now() - s);
            if ((r.answers ?? []).length !== 1) throw new Error(`no address for ${name(i)}`);
          }
        }),
      );
      samples.sort((a, b) => a - b);
      return { perSecond: total / ((performance.now() - t0) / 1000), samples };
    };
    await run(Math.min(2_000, queries));
    const measured = await run(queries);
    // A new Service: from the create's answer to the first query that resolves it.
    const visible: number[] = [];
    const q = queriers[0] as Querier;
    for (let i = 0; i < (quick ? 10 : 30); i++) {
      await client.create(services, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `new-${i}` },
        spec: { ports: [{ port: 80 }] },
      });
      const t0 = performance.now();
      while (((await q.ask(`new-${i}.default.svc.cluster.local`)).answers ?? []).length === 0);
      visible.push(performance.now() - t0);
    }
    visible.sort((a, b) => a - b);
    const s = measured.samples;
    const rows = [
      ['A query, UDP', `${clients} clients`, `${Math.round(measured.perSecond)} q/s`],
      ['  p50', '', `${pct(s, 50).toFixed(3)} ms`],
      ['  p99', '', `${pct(s, 99).toFixed(3)} ms`],
      ['new Service resolves', 'after create', `p50 ${pct(visible, 50).toFixed(1)} ms`],
      ['', '', `p99 ${pct(visible, 99).toFixed(1)} ms`],
    ];
    for (const r of rows) process.stdout.write(`${r[0]?.padEnd(24)}${r[1]?.padEnd(14)}${r[2]}\n`);
    process.stdout.write(
      `services: ClusterIP ${Math.round(forwarding.clusterIp.perSecond)} req/s vs pod IP ${Math.round(forwarding.podIp.perSecond)} req/s (ratio ${forwarding.ratio.toFixed(2)}, p99 ${forwarding.clusterIp.p99.toFixed(1)} vs ${forwarding.podIp.p99.toFixed(1)} ms); DNS A p50 ${pct(s, 50).toFixed(2)} ms p99 ${pct(s, 99).toFixed(2)} ms at ${Math.round(measured.perSecond)} q/s (${clients} clients, ${serviceCount} Services); a new Service resolves within p99 ${pct(visible, 99).toFixed(0)} ms\n`,
    );
  } finally {
    for (const q of queriers) q.close();
    await cluster.stop();
    client.close();
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
