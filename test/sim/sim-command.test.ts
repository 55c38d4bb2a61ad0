import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../sdk/client/client.ts';
import { type SkiffServer, startSkiffServer } from '../e2e/kubectl-harness.ts';
import { type Daemon, startDaemon } from '../harness/daemon.ts';

// `skiff sim` as its own process against a real `skiff server`, joined with the node-token,
// checked through the real kubectl; then with `skiff scheduler` placing pods on its nodes.

const root = join(import.meta.dirname, '..', '..');
const skiff = join(root, 'core/cli/skiff.mjs');

let server: SkiffServer;
let sim: Daemon | undefined;
let scheduler: Daemon | undefined;

const logOf = (d: Daemon | undefined) => (d ? d.log() : '(not started)');

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `gave up waiting for ${what}\nsim log:\n${logOf(sim)}\nscheduler log:\n${logOf(scheduler)}`,
  );
}

function logged(text: string) {
  return async (dir: string) => {
    try {
      return readFileSync(join(dir, 'daemon.log'), 'utf8').includes(text);
    } catch {
      return false;
    }
  };
}

async function kubectl(args: string[]): Promise<string> {
  const r = await server.kubectl(args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

interface PodRow {
  status: {
    phase?: string;
    podIP?: string;
    hostIP?: string;
    containerStatuses?: { ready: boolean }[];
  };
  spec: { nodeName?: string };
}

async function podWhenRunning(name: string): Promise<PodRow> {
  return until(`pod ${name} Running`, async () => {
    const r = await server.kubectl(['get', 'pod', name, '-o', 'json']);
    if (r.code !== 0) return undefined;
    const pod = JSON.parse(r.stdout) as PodRow;
    return pod.status.phase === 'Running' ? pod : undefined;
  });
}

beforeAll(async () => {
  server = await startSkiffServer();
  const data = join(server.daemon.dir, 'data');
  const url = KubeClient.fromKubeconfig(server.kubeconfig).server;
  const token = readFileSync(join(data, 'node-token'), 'utf8').trim();
  sim = await startDaemon({
    name: 'skiff-sim',
    command: process.execPath,
    args: () => [
      skiff,
      'sim',
      '--server',
      url,
      '--token',
      token,
      '--ca',
      join(data, 'pki', 'ca.crt'),
      '--nodes',
      '3',
    ],
    ready: logged('simulated nodes ready'),
    readyTimeoutMs: 60_000,
  });
});

afterAll(async () => {
  await scheduler?.stop();
  await sim?.stop();
  await server?.daemon.stop();
});

describe('skiff sim', () => {
  it('registers three Ready nodes with the sim runtime and a Lease each', async () => {
    const out = await kubectl(['get', 'nodes', '--no-headers', '-o', 'wide']);
    const rows = out
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/));
    expect(rows.map((r) => [r[0], r[1]])).toEqual([
      ['sim-1', 'Ready'],
      ['sim-2', 'Ready'],
      ['sim-3', 'Ready'],
    ]);
    expect(out).toContain('sim://');
    const node = JSON.parse(await kubectl(['get', 'node', 'sim-2', '-o', 'json']));
    expect(node.metadata.labels['kubernetes.io/hostname']).toBe('sim-2');
    expect(node.status.allocatable).toEqual({ cpu: '8', memory: '32Gi', pods: '110' });
    const leases = await kubectl(['get', 'leases', '-n', 'kube-node-lease', '-o', 'name']);
    expect(leases.trim().split('\n').sort()).toEqual([
      'lease.coordination.k8s.io/sim-1',
      'lease.coordination.k8s.io/sim-2',
      'lease.coordination.k8s.io/sim-3',
    ]);
  });

  it('nodes act with credentials of their own: the join token alone may only join', async () => {
    const data = join(server.daemon.dir, 'data');
    const url = KubeClient.fromKubeconfig(server.kubeconfig).server;
    const token = readFileSync(join(data, 'node-token'), 'utf8').trim();
    const ca = readFileSync(join(data, 'pki', 'ca.crt'), 'utf8');
    const joinOnly = KubeClient.fromToken(url, token, ca);
    try {
      await expect(
        joinOnly.list({ group: '', version: 'v1', plural: 'nodes' }),
      ).rejects.toMatchObject({ code: 'Forbidden' });
    } finally {
      joinOnly.close();
    }
  });

  it('turns a pod bound to sim-1 Running with an IP from its range', async () => {
    await kubectl(['run', 'bound', '--image=busybox', '--overrides={"spec":{"nodeName":"sim-1"}}']);
    const pod = await podWhenRunning('bound');
    expect(pod.status.podIP).toMatch(/^10\.64\.0\.\d+$/);
    expect(pod.status.hostIP).toBe('100.64.0.1');
    expect(pod.status.containerStatuses?.map((c) => c.ready)).toEqual([true]);
    const wide = await kubectl(['get', 'pods', 'bound', '-o', 'wide', '--no-headers']);
    expect(wide).toMatch(/^bound\s+1\/1\s+Running\s+0\s+\S+\s+10\.64\.0\.\d+\s+sim-1\s/);
  });

  it('with skiff scheduler running, schedules a pod, runs it, and removes it on delete', async () => {
    scheduler = await startDaemon({
      name: 'skiff-scheduler',
      command: process.execPath,
      // Only the default scheduler plugins: without a config every built-in plugin loads.
      args: (dir) => {
        const config = join(dir, 'cluster.yaml');
        writeFileSync(
          config,
          'apiVersion: skiff.dev/v1alpha1\nkind: ClusterConfig\nplugins:\n  - scheduler-default\n',
        );
        return [skiff, 'scheduler', '-k', server.kubeconfig, '-c', config];
      },
      ready: logged('skiff scheduler scheduling'),
      readyTimeoutMs: 60_000,
    });
    await kubectl(['run', 'free', '--image=busybox']);
    const pod = await podWhenRunning('free');
    expect(pod.spec.nodeName).toMatch(/^sim-[123]$/);
    expect(pod.status.podIP).toMatch(/^10\.64\.[012]\.\d+$/);
    // The delete waits until the object is gone, well inside the 30 s grace period: the
    // simulated node ends it at once.
    await kubectl(['delete', 'pod', 'free', '--timeout=20s']);
    const after = await server.kubectl(['get', 'pod', 'free']);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('NotFound');
  });

  it('refuses a bad node count with a clear error and registers nothing', async () => {
    const data = join(server.daemon.dir, 'data');
    const url = KubeClient.fromKubeconfig(server.kubeconfig).server;
    const token = readFileSync(join(data, 'node-token'), 'utf8').trim();
    const run = await new Promise<{ code: number | null; stderr: string }>((done) => {
      execFile(
        process.execPath,
        [skiff, 'sim', '--server', url, '--token', token, '--nodes', '0', '--name-prefix', 'bad-'],
        { timeout: 60_000 },
        (err, _stdout, stderr) => done({ code: err ? (err.code as number) : 0, stderr }),
      );
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('must be an integer from 1 to 16384');
    expect(await kubectl(['get', 'nodes', '-o', 'name'])).not.toContain('bad-');
  });
});
