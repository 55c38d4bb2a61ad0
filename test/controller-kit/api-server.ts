import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../../sdk/client/client.ts';
import { type Daemon, startDaemon } from '../harness/daemon.ts';

const root = join(import.meta.dirname, '..', '..');

/** ApiServer is a real `skiff server` process whose data dir outlives restarts. */
export interface ApiServer {
  readonly dataDir: string;
  readonly kubeconfig: string;
  readonly port: number;
  /** client makes a new client with its own connections. */
  client(): KubeClient;
  /** restart stops the process and starts it again on the same data dir and port. */
  restart(between?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
  /** remove stops the server and deletes its data dir. */
  remove(): Promise<void>;
}

async function launch(dataDir: string, port: number): Promise<Daemon> {
  return startDaemon({
    name: 'skiff-server',
    command: process.execPath,
    args: () => [
      join(root, 'core/cli/skiff.mjs'),
      'server',
      '--data-dir',
      dataDir,
      '--port',
      String(port),
    ],
    ready: async (dir) => {
      try {
        return readFileSync(join(dir, 'daemon.log'), 'utf8').includes('listening on');
      } catch {
        return false;
      }
    },
    readyTimeoutMs: 60_000,
  });
}

/** startApiServer starts `skiff server` on a free port in a fresh data dir. */
export async function startApiServer(): Promise<ApiServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-kit-data-'));
  let daemon: Daemon | undefined;
  try {
    daemon = await launch(dataDir, 0);
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const kubeconfig = join(dataDir, 'admin.kubeconfig');
  if (!existsSync(kubeconfig)) throw new Error(`skiff server wrote no ${kubeconfig}`);
  const probe = KubeClient.fromKubeconfig(kubeconfig);
  const port = Number(new URL(probe.server).port);
  probe.close();
  const stop = async () => {
    await daemon?.stop();
    daemon = undefined;
  };
  return {
    dataDir,
    kubeconfig,
    port,
    client: () => KubeClient.fromKubeconfig(kubeconfig),
    async restart(between) {
      await stop();
      await between?.();
      daemon = await launch(dataDir, port);
    },
    stop,
    async remove() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
