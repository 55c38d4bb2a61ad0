import { createServer } from 'node:net';
import { type Daemon, startDaemon } from './daemon.ts';

/** EtcdMember is one started etcd process. */
export interface EtcdMember {
  readonly name: string;
  /** clientUrl is where clients connect (`http://127.0.0.1:PORT`). */
  readonly clientUrl: string;
  readonly daemon: Daemon;
}

/** EtcdCluster is a set of etcd members on loopback, each in its own temp dir. */
export interface EtcdCluster {
  readonly members: EtcdMember[];
  /** clientUrls lists every member's client URL. */
  readonly clientUrls: string[];
  /** storeSpec is the `--store` value naming the cluster. */
  readonly storeSpec: string;
  /** stop stops every member still running and removes their directories. */
  stop(): Promise<void>;
}

const etcdBinary = process.env.SKIFF_ETCD ?? '/usr/bin/etcd';

/** freePort asks the kernel for a free loopback TCP port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function healthy(clientUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
    if (!res.ok) return false;
    const body = (await res.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}

/**
 * startEtcdCluster starts `size` etcd members (1 or 3 in practice) on free loopback ports,
 * forming one cluster, and resolves once every member reports healthy.
 */
export async function startEtcdCluster(size = 1): Promise<EtcdCluster> {
  const ports = [];
  for (let i = 0; i < size; i++) ports.push({ client: await freePort(), peer: await freePort() });
  const names = ports.map((_, i) => `etcd-${i}`);
  const initialCluster = ports.map((p, i) => `${names[i]}=http://127.0.0.1:${p.peer}`).join(',');
  const token = `skiff-${process.pid}-${Date.now()}`;
  const starts = ports.map(async (p, i) => {
    const name = names[i] ?? `etcd-${i}`;
    const clientUrl = `http://127.0.0.1:${p.client}`;
    const daemon = await startDaemon({
      name,
      command: etcdBinary,
      args: (dir) => [
        '--name',
        name,
        '--data-dir',
        `${dir}/data`,
        '--listen-client-urls',
        clientUrl,
        '--advertise-client-urls',
        clientUrl,
        '--listen-peer-urls',
        `http://127.0.0.1:${p.peer}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${p.peer}`,
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-token',
        token,
        '--initial-cluster-state',
        'new',
        // Short timings keep the member-death tests quick on loopback.
        '--heartbeat-interval',
        '50',
        '--election-timeout',
        '500',
        '--logger',
        'zap',
      ],
      ready: () => healthy(clientUrl),
      readyTimeoutMs: 30_000,
      stopTimeoutMs: 5_000,
    });
    return { name, clientUrl, daemon };
  });
  const settled = await Promise.allSettled(starts);
  const members = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async () => {
    await Promise.all(members.map((m) => m.daemon.stop()));
  };
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw new Error(
      `cannot start a ${size}-member etcd cluster from ${etcdBinary} (install etcd-server 3.4+ or set SKIFF_ETCD): ${String(failed.reason)}`,
    );
  }
  const clientUrls = members.map((m) => m.clientUrl);
  return { members, clientUrls, storeSpec: `etcd:${clientUrls.join(',')}`, stop };
}
