// The cluster the end-to-end bench drives, each part as its own process as on a real node:
// a private dockerd, the Docker adapter (`skiff runtime docker`), `skiff server`,
// `skiff scheduler` and `skiff agent` talking to the adapter's socket.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeClient } from '../../sdk/client/client.ts';
import { connectRuntime, type RuntimeClient } from '../../sdk/runtime/client.ts';
import { buildImages } from '../../test/fixtures/images/index.ts';
import { type Daemon, startDaemon } from '../../test/harness/daemon.ts';
import {
  type Dockerd,
  type DockerRuntimeProcess,
  freePodSubnet,
  startDockerd,
  startDockerRuntime,
} from '../../test/harness/dockerd.ts';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'core/cli/skiff.mjs');

// SKIFF_BENCH_CPU_PROF=agent (or server, scheduler, runtime, or a comma list) writes those
// processes' V8 CPU profiles to the current directory, to see where the time goes.
const profiled = new Set((process.env.SKIFF_BENCH_CPU_PROF ?? '').split(','));
const prof = (name: string) =>
  profiled.has(name) ? ['--cpu-prof', '--cpu-prof-dir', process.cwd()] : [];

/** BenchCluster is every process of a one-node cluster on a private dockerd. */
export interface BenchCluster {
  client: KubeClient;
  dockerd: Dockerd;
  /** cri talks to the Docker adapter the agent uses, to read what it made. */
  cri: RuntimeClient;
  /** network is the Docker network pods join; `docker run` uses it too. */
  network: string;
  nodeName: string;
  agent(): Daemon;
  stop(): Promise<void>;
}

function skiff(name: string, args: (dir: string) => string[], ready: (dir: string) => boolean) {
  return startDaemon({
    name: `skiff-${name}`,
    command: process.execPath,
    args: (dir) => [...prof(name), cli, ...args(dir)],
    ready: async (dir) => ready(dir),
    readyTimeoutMs: 90_000,
  });
}

const logSays = (dir: string, text: string) =>
  existsSync(join(dir, 'daemon.log')) &&
  readFileSync(join(dir, 'daemon.log'), 'utf8').includes(text);

/** startBenchCluster starts every part and loads the images; stop() takes all of it down. */
export async function startBenchCluster(images: string[]): Promise<BenchCluster> {
  const network = 'skiff-pods';
  const nodeName = 'bench-node';
  const parts: { stop(): Promise<void> | void }[] = [];
  const stop = async () => {
    for (const p of parts.reverse()) {
      try {
        await p.stop();
      } catch (err) {
        process.stderr.write(`bench clean-up: ${String(err)}\n`);
      }
    }
  };
  try {
    const dockerd = await startDockerd();
    parts.push(dockerd);
    await dockerd.loadImages((await buildImages(images)).path);
    const server = await skiff(
      'server',
      (dir) => ['server', '--data-dir', join(dir, 'data'), '--port', '0'],
      (dir) => existsSync(join(dir, 'data', 'admin.kubeconfig')),
    );
    parts.push(server);
    const data = join(server.dir, 'data');
    const kubeconfig = join(data, 'admin.kubeconfig');
    const client = KubeClient.fromKubeconfig(kubeconfig);
    parts.push({ stop: () => client.close() });
    parts.push(
      await skiff(
        'scheduler',
        () => ['scheduler', '-k', kubeconfig],
        (dir) => logSays(dir, 'skiff scheduler scheduling'),
      ),
    );
    const runtime: DockerRuntimeProcess = await startDockerRuntime(
      dockerd,
      join(server.dir, 'docker.sock'),
      { network, subnet: freePodSubnet() },
    );
    parts.push(runtime.daemon);
    const cri = connectRuntime(runtime.endpoint);
    parts.push({ stop: () => cri.close() });
    const agent = await skiff(
      'agent',
      (dir) => [
        'agent',
        '--server',
        client.server,
        '--token',
        readFileSync(join(data, 'node-token'), 'utf8').trim(),
        '--ca',
        join(data, 'pki', 'ca.crt'),
        '--runtime',
        runtime.endpoint,
        '--node-name',
        nodeName,
        '--root',
        join(dir, 'root'),
        '--port',
        '0',
        '--node-ip',
        '127.0.0.1',
      ],
      (dir) => logSays(dir, 'is Ready'),
    );
    parts.push(agent);
    return { client, dockerd, cri, network, nodeName, agent: () => agent, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
