// `npm run bench -- api [--quick]`: `skiff server` as its own process, over HTTPS with the
// admin token as kubectl talks to it, on the embedded store. GET, LIST (1,000 and 10,000 pods)
// and CREATE with 32 concurrent clients (creates measured after a warm-up), and the fan-out of
// one event to 1,000 watchers. Prints a table and ends with one summary line.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const quick = process.argv.includes('--quick');
const clients = 32;
let agent: Agent;
let port = 0;
let tls: { ca: string; token: string } = { ca: '', token: '' };

interface Result {
  status: number;
  body: string;
}

function call(method: string, path: string, body?: unknown): Promise<Result> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: {
          authorization: `Bearer ${tls.token}`,
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const pod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'bench', shard: String(name.length % 7) } },
  spec: {
    containers: [
      { name: 'main', image: 'registry.example/app:1.0', ports: [{ containerPort: 8080 }] },
    ],
  },
});

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;

interface Figures {
  perSecond: number;
  p50: number;
  p99: number;
}

/** drive runs `total` requests over `clients` concurrent loops and measures each one. */
async function drive(
  total: number,
  one: (i: number) => Promise<Result>,
  expected: number,
): Promise<Figures> {
  const samples: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < total) {
        const i = next++;
        const s = performance.now();
        const r = await one(i);
        samples.push(performance.now() - s);
        if (r.status !== expected)
          throw new Error(`request ${i}: HTTP ${r.status}: ${r.body.slice(0, 300)}`);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  samples.sort((a, b) => a - b);
  return { perSecond: total / seconds, p50: pct(samples, 50), p99: pct(samples, 99) };
}

async function ensureNamespace(name: string) {
  const r = await call('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
  if (r.status !== 201) throw new Error(`namespace ${name}: HTTP ${r.status}`);
}

/** fanOut opens `watchers` watches, writes one object and times its delivery to each. */
async function fanOut(watchers: number): Promise<{ p50: number; p99: number; all: number }> {
  await ensureNamespace('fanout');
  const watchAgent = new Agent({
    keepAlive: false,
    maxSockets: Number.POSITIVE_INFINITY,
    ca: tls.ca,
  });
  const arrivals: number[] = [];
  const open: IncomingMessage[] = [];
  let sentAt = 0;
  let resolveAll: () => void = () => {};
  const all = new Promise<void>((r) => {
    resolveAll = r;
  });
  await Promise.all(
    Array.from(
      { length: watchers },
      () =>
        new Promise<void>((ready, fail) => {
          const req = request(
            {
              host: '127.0.0.1',
              port,
              path: '/api/v1/namespaces/fanout/configmaps?watch=true&resourceVersion=1',
              agent: watchAgent,
              headers: { authorization: `Bearer ${tls.token}` },
            },
            (res) => {
              open.push(res);
              res.on('data', () => {
                arrivals.push(performance.now() - sentAt);
                if (arrivals.length === watchers) resolveAll();
              });
              ready();
            },
          );
          req.on('error', fail);
          req.end();
        }),
    ),
  );
  sentAt = performance.now();
  await call('POST', '/api/v1/namespaces/fanout/configmaps', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'ping' },
  });
  await all;
  for (const res of open) res.destroy();
  watchAgent.destroy();
  arrivals.sort((a, b) => a - b);
  return { p50: pct(arrivals, 50), p99: pct(arrivals, 99), all: arrivals.at(-1) ?? Number.NaN };
}

/** startServer runs `skiff server` on a free port and resolves once it listens. */
function startServer(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const cli = fileURLToPath(new URL('../../core/cli/skiff.mjs', import.meta.url));
  const child = spawn(process.execPath, [cli, 'server', '--data-dir', dir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
      const m = /listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m?.[1]) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`skiff server exited ${code}: ${out}`)));
  });
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-api-'));
  const server = await startServer(dir);
  try {
    port = server.port;
    tls = {
      ca: readFileSync(join(dir, 'pki', 'ca.crt'), 'utf8'),
      token: readFileSync(join(dir, 'pki', 'admin.token'), 'utf8').trim(),
    };
    agent = new Agent({ keepAlive: true, maxSockets: clients, ca: tls.ca });
    const small = quick ? 200 : 1_000;
    const big = quick ? 2_000 : 10_000;
    await ensureNamespace('small');
    await ensureNamespace('big');
    // The first thousand creates warm the server up (JIT, connections); the 10,000 after are measured.
    await drive(small, (i) => call('POST', '/api/v1/namespaces/small/pods', pod(`p-${i}`)), 201);
    const create = await drive(
      big,
      (i) => call('POST', '/api/v1/namespaces/big/pods', pod(`p-${i}`)),
      201,
    );
    const get = await drive(
      quick ? 1_000 : 5_000,
      (i) => call('GET', `/api/v1/namespaces/small/pods/p-${i % small}`),
      200,
    );
    const list1k = await drive(
      quick ? 64 : 256,
      () => call('GET', '/api/v1/namespaces/small/pods'),
      200,
    );
    const list10k = await drive(
      quick ? 32 : 64,
      () => call('GET', '/api/v1/namespaces/big/pods'),
      200,
    );
    const watch = await fanOut(quick ? 200 : 1_000);
    const row = (name: string, f: Figures) =>
      `${name.padEnd(22)} ${f.perSecond.toFixed(0).padStart(9)} ${f.p50.toFixed(2).padStart(9)} ${f.p99.toFixed(2).padStart(9)}`;
    process.stdout.write(
      [
        `skiff server (own process) over loopback HTTPS, embedded store, ${clients} concurrent clients${quick ? ' (quick)' : ''}`,
        `${'operation'.padEnd(22)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)}`,
        row('CREATE pod', create),
        row('GET pod', get),
        row(`LIST ${small} pods`, list1k),
        row(`LIST ${big} pods`, list10k),
        `watch fan-out to ${quick ? 200 : 1_000} watchers: p50 ${watch.p50.toFixed(1)} ms, p99 ${watch.p99.toFixed(1)} ms, last ${watch.all.toFixed(1)} ms`,
        `summary: create ${create.perSecond.toFixed(0)}/s p99 ${create.p99.toFixed(1)} ms (target <50: ${create.p99 < 50 ? 'met' : 'MISSED'}), get ${get.perSecond.toFixed(0)}/s, list${small} ${list1k.perSecond.toFixed(1)}/s, list${big} ${list10k.perSecond.toFixed(1)}/s, fan-out p99 ${watch.p99.toFixed(1)} ms (target <100: ${watch.p99 < 100 ? 'met' : 'MISSED'})`,
        '',
      ].join('\n'),
    );
  } finally {
    agent?.destroy();
    const exited = new Promise((r) => server.child.once('exit', r));
    server.child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
