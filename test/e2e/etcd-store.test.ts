import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, startDaemon } from '../harness/daemon.ts';
import { type EtcdCluster, startEtcdCluster } from '../harness/etcd.ts';
import { kubectlPath } from './kubectl-harness.ts';

// `skiff server --store etcd:URL` keeps its objects in etcd: kubectl writes through one server
// process and reads them back through a second one started on the same etcd.

const root = join(import.meta.dirname, '..', '..');
let etcd: EtcdCluster;
const servers: Daemon[] = [];

async function startServer(): Promise<{ daemon: Daemon; kubeconfig: string }> {
  const daemon = await startDaemon({
    name: 'skiff-server-etcd',
    command: process.execPath,
    args: (dir) => [
      join(root, 'core/cli/skiff.mjs'),
      'server',
      '--data-dir',
      join(dir, 'data'),
      '--port',
      '0',
      '--store',
      etcd.storeSpec,
    ],
    ready: async (dir) => existsSync(join(dir, 'data', 'admin.kubeconfig')),
  });
  servers.push(daemon);
  return { daemon, kubeconfig: join(daemon.dir, 'data', 'admin.kubeconfig') };
}

const kubectl = (kubeconfig: string, cache: string, args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      kubectlPath,
      ['--cache-dir', cache, ...args],
      { env: { PATH: process.env.PATH ?? '/usr/bin', HOME: cache, KUBECONFIG: kubeconfig } },
      (err, stdout, stderr) =>
        resolve({
          code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1,
          stdout,
          stderr,
        }),
    );
  });

beforeAll(async () => {
  etcd = await startEtcdCluster(1);
});

afterAll(async () => {
  for (const s of servers) await s.stop();
  await etcd?.stop();
});

describe('skiff server on etcd', () => {
  it('stores through one server process and reads back through another', async () => {
    const a = await startServer();
    const cacheA = join(a.daemon.dir, 'cache');
    const created = await kubectl(a.kubeconfig, cacheA, [
      'create',
      'configmap',
      'shared',
      '--from-literal=k=v',
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout.trim()).toBe('configmap/shared created');
    const b = await startServer();
    const read = await kubectl(b.kubeconfig, join(b.daemon.dir, 'cache'), [
      'get',
      'configmap',
      'shared',
      '-o',
      'jsonpath={.data.k}',
    ]);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout).toBe('v');
    const namespaces = await kubectl(b.kubeconfig, join(b.daemon.dir, 'cache'), [
      'get',
      'ns',
      '-o',
      'name',
    ]);
    expect(namespaces.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'namespace/default',
      'namespace/kube-node-lease',
      'namespace/kube-public',
      'namespace/kube-system',
    ]);
  });
});
