// Requests per second through a Service's ClusterIP beside straight to its pods' IPs, on a
// real one-node cluster (`skiff up`, containerd, iptables forwarding) inside a network
// namespace the bench makes. Same backends, same client, same concurrency and duration; the
// two sides alternate (ABBA) so drift in the machine's load falls on both.
import { fileURLToPath } from 'node:url';
import { type NetnsNode, startNetnsNode } from '../../test/harness/netns-node.ts';

const load = fileURLToPath(new URL('./load.mjs', import.meta.url));

/** SideFigures are one side's totals over its rounds. */
export interface SideFigures {
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

/** ForwardingFigures compare the ClusterIP path with the pod IP path. */
export interface ForwardingFigures {
  concurrency: number;
  backends: number;
  clusterIp: SideFigures;
  podIp: SideFigures;
  /** ratio is ClusterIP requests/s over pod IP requests/s. */
  ratio: number;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;

const web = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: skiff.local/busybox:1
          command: [sh, -c, 'mkdir -p /w && echo ok > /w/index.html && exec httpd -f -p 8080 -h /w']
          ports: [{ containerPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
`;

async function kubectl(node: NetnsNode, args: string[], stdin?: string): Promise<string> {
  const r = await node.kubectl(args, stdin);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function round(node: NetnsNode, urls: string[], concurrency: number, ms: number) {
  const spec = JSON.stringify({ urls, concurrency, durationMs: ms, keepAlive: false });
  const r = await node.exec(process.execPath, [load, spec], ms + 30_000);
  if (r.code !== 0) throw new Error(`load generator failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as {
    requests: number;
    errors: number;
    seconds: number;
    samples: number[];
  };
}

/** benchForwarding runs the ClusterIP-vs-pod-IP comparison and returns its figures. */
export async function benchForwarding(quick: boolean): Promise<ForwardingFigures> {
  const concurrency = 8;
  const ms = quick ? 2_000 : 5_000;
  const node = await startNetnsNode({
    runtime: 'containerd',
    images: ['skiff.local/pause:1', 'skiff.local/busybox:1'],
  });
  try {
    await kubectl(node, ['apply', '-f', '-'], web);
    const deadline = Date.now() + 120_000;
    let podIps: string[] = [];
    while (podIps.length !== 2) {
      if (Date.now() > deadline) throw new Error('the two web pods never became endpoints');
      await new Promise((r) => setTimeout(r, 500));
      podIps = (
        await kubectl(node, [
          'get',
          'endpoints',
          'web',
          '-o',
          'jsonpath={.subsets[*].addresses[*].ip}',
        ])
      )
        .split(' ')
        .filter(Boolean);
    }
    const clusterIp = await kubectl(node, [
      'get',
      'svc',
      'web',
      '-o',
      'jsonpath={.spec.clusterIP}',
    ]);
    const viaService = [`http://${clusterIp}/`];
    const direct = podIps.map((ip) => `http://${ip}:8080/`);
    // Warm up both paths (conntrack, ARP, page cache), then alternate.
    await round(node, viaService, concurrency, 1_000);
    await round(node, direct, concurrency, 1_000);
    const sides = {
      clusterIp: [] as Awaited<ReturnType<typeof round>>[],
      podIp: [] as Awaited<ReturnType<typeof round>>[],
    };
    // ABBA order: whatever builds up from round to round (TIME_WAIT sockets, conntrack
    // entries) falls on both sides alike.
    for (const first of ['clusterIp', 'podIp', 'podIp', 'clusterIp'] as const) {
      sides[first].push(
        await round(node, first === 'clusterIp' ? viaService : direct, concurrency, ms),
      );
    }
    const figures = (rounds: Awaited<ReturnType<typeof round>>[]): SideFigures => {
      const samples = rounds.flatMap((r) => r.samples).sort((a, b) => a - b);
      const seconds = rounds.reduce((s, r) => s + r.seconds, 0);
      return {
        perSecond: samples.length / seconds,
        p50: pct(samples, 50),
        p99: pct(samples, 99),
        errors: rounds.reduce((s, r) => s + r.errors, 0),
      };
    };
    const clusterIpFigures = figures(sides.clusterIp);
    const podIpFigures = figures(sides.podIp);
    return {
      concurrency,
      backends: podIps.length,
      clusterIp: clusterIpFigures,
      podIp: podIpFigures,
      ratio: clusterIpFigures.perSecond / podIpFigures.perSecond,
    };
  } finally {
    await node.stop();
  }
}
