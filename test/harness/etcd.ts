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
  /**
   * restart kills a member with SIGKILL and starts it again on the same ports from the same
   * data; the returned member replaces it in `members`.
   */
  restart(member: EtcdMember): Promise<EtcdMember>;
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

interface MemberPlan {
  name: string;
  client: number;
  peer: number;
  initialCluster: string;
  token: string;
}

/** startMember starts one member; with dataDir it restarts a member from its old data. */
async function startMember(plan: MemberPlan, dataDir?: string): Promise<EtcdMember> {
  const clientUrl = `http://127.0.0.1:${plan.client}`;
  const peerUrl = `http://127.0.0.1:${plan.peer}`;
  const daemon = await startDaemon({
    name: plan.name,
    command: etcdBinary,
    args: (dir) => [
      '--name',
      plan.name,
      '--data-dir',
      dataDir ?? `${dir}/data`,
      '--listen-client-urls',
      clientUrl,
      '--advertise-client-urls',
      clientUrl,
      '--listen-peer-urls',
      peerUrl,
      '--initial-advertise-peer-urls',
      peerUrl,
      '--initial-cluster',
      plan.initialCluster,
      '--initial-cluster-token',
      plan.token,
      '--initial-cluster-state',
      dataDir ? 'existing' : 'new',
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
  return { name: plan.name, clientUrl, daemon };
}

/**
 * startEtcdCluster starts `size` etcd members (1 or 3 in practice) on free loopback ports,
 * forming one cluster, and resolves once every member reports healthy.
 */
export async function startEtcdCluster(size = 1): Promise<EtcdCluster> {
  const ports = [];
  for (let i = 0; i < size; i++) ports.push({ client: await freePort(), peer: await freePort() });
  const initialCluster = ports.map((p, i) => `etcd-${i}=http://127.0.0.1:${p.peer}`).join(',');
  const token = `skiff-${process.pid}-${Date.now()}`;
  const plans = ports.map((p, i) => ({ name: `etcd-${i}`, ...p, initialCluster, token }));
  const settled = await Promise.allSettled(plans.map((plan) => startMember(plan)));
  const members = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  // Every daemon ever started, restarted members' old processes included.
  const daemons = members.map((m) => m.daemon);
  // Running members stop first: a restarted member's old directory holds the live data.
  const stop = async () => {
    await Promise.all(members.map((m) => m.daemon.stop()));
    await Promise.all(daemons.map((d) => d.stop()));
  };
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw new Error(
      `cannot start a ${size}-member etcd cluster from ${etcdBinary} (install etcd-server 3.4+ or set SKIFF_ETCD): ${String(failed.reason)}`,
    );
  }
  const clientUrls = members.map((m) => m.clientUrl);
  const restart = async (member: EtcdMember) => {
    const i = members.indexOf(member);
    const plan = plans[i];
    if (i < 0 || !plan) throw new Error(`${member.name} is not a member of this cluster`);
    member.daemon.kill('SIGKILL');
    await waitGone(member.daemon.pid);
    const again = await startMember(plan, `${member.daemon.dir}/data`);
    daemons.push(again.daemon);
    members[i] = again;
    return again;
  };
  return { members, clientUrls, storeSpec: `etcd:${clientUrls.join(',')}`, stop, restart };
}

async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`etcd process ${pid} still runs after SIGKILL`);
}
