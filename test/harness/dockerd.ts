import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { connectRuntime } from '../../sdk/runtime/client.ts';
import { type Daemon, startDaemon } from './daemon.ts';

/** Dockerd is a private Docker daemon a suite started for itself. */
export interface Dockerd {
  /** socket is the path of its API socket. */
  readonly socket: string;
  /** host is the socket as a `unix://` address. */
  readonly host: string;
  readonly docker: Docker;
  readonly daemon: Daemon;
  /** loadImages feeds an image tarball to `docker load` and returns the tags loaded. */
  loadImages(tarPath: string): Promise<string[]>;
  /** stop removes every container and network it made, stops dockerd and deletes its data. */
  stop(): Promise<void>;
}

const dockerdPath = '/usr/sbin/dockerd';

// Mounts dockerd leaves behind when it dies uncleanly (overlay, netns, shm): deepest first.
function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}

// Processes a dockerd leaves when the test process dies without stop(): the containers (found
// by their cgroups) and the containerd shims (whose command lines name the daemon's directory).
function killLeftovers(dir: string): void {
  const kill = (pid: number) => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  let ids: string[] = [];
  try {
    ids = readdirSync(join(dir, 'data', 'containers'));
  } catch {
    // no container was made
  }
  for (const id of ids) {
    try {
      for (const pid of readFileSync(`/sys/fs/cgroup/pids/docker/${id}/cgroup.procs`, 'utf8').split(
        '\n',
      )) {
        if (pid) kill(Number(pid));
      }
    } catch {
      // not running
    }
  }
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) kill(Number(pid));
    } catch {
      // exited meanwhile
    }
  }
  unmountUnder(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** DockerdOptions are what a suite may change about its private dockerd. */
export interface DockerdOptions {
  /** netns runs dockerd, and so every container's network, inside this network namespace. */
  netns?: string;
  /** registryMirrors are dockerd's mirrors of docker.io (`http://127.0.0.1:5000`). */
  registryMirrors?: string[];
}

/**
 * startDockerd starts dockerd (with its own managed containerd) on a socket in a temp dir:
 * no default bridge and no iptables rules, so it touches nothing of the host's network.
 */
export async function startDockerd(options: DockerdOptions = {}): Promise<Dockerd> {
  if (!existsSync(dockerdPath)) {
    throw new Error(`dockerd is missing (${dockerdPath}): install the Debian package docker.io`);
  }
  const { netns } = options;
  const daemon = await startDaemon({
    name: 'dockerd',
    command: netns ? 'nsenter' : dockerdPath,
    args: (dir) => [
      ...(netns ? [`--net=/run/netns/${netns}`, dockerdPath] : []),
      ...(options.registryMirrors ?? []).map((m) => `--registry-mirror=${m}`),
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'docker.pid'),
      '-H',
      `unix://${join(dir, 'docker.sock')}`,
      '--bridge=none',
      '--iptables=false',
      '--ip-masq=false',
      '--userland-proxy=false',
      '--log-level=warn',
    ],
    ready: async (dir) => {
      if (!existsSync(join(dir, 'docker.sock'))) return false;
      await new Docker({ socketPath: join(dir, 'docker.sock') }).ping();
      return true;
    },
    readyTimeoutMs: 60_000,
    stopTimeoutMs: 20_000,
    cleanup: (dir) => unmountUnder(dir),
  });
  const socket = join(daemon.dir, 'docker.sock');
  const onExit = () => killLeftovers(daemon.dir);
  process.once('exit', onExit);
  const docker = new Docker({ socketPath: socket });
  const loadImages = async (tarPath: string): Promise<string[]> => {
    const { createReadStream } = await import('node:fs');
    const stream = await docker.loadImage(createReadStream(tarPath), { quiet: true });
    const text = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      stream.on('error', reject);
    });
    const tags: string[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const msg = JSON.parse(line) as { stream?: string; error?: string };
      if (msg.error) throw new Error(`docker load ${tarPath}: ${msg.error}`);
      const m = /Loaded image(?: ID)?: (\S+)/.exec(msg.stream ?? '');
      if (m?.[1]) tags.push(m[1]);
    }
    return tags;
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', onExit);
    try {
      for (const c of await docker.listContainers({ all: true })) {
        await docker.getContainer(c.Id).remove({ force: true, v: true });
      }
      for (const n of await docker.listNetworks()) {
        if (!['bridge', 'host', 'none'].includes(n.Name)) await docker.getNetwork(n.Id).remove();
      }
    } catch {
      // dockerd may already be dead (crash tests); stopping and unmounting still clean up
    }
    await daemon.stop();
  };
  return { socket, host: `unix://${socket}`, docker, daemon, loadImages, stop };
}

/** DockerRuntimeProcess is `skiff runtime docker` running as its own process. */
export interface DockerRuntimeProcess {
  /** endpoint is the `unix://` address it serves runtime.v1 on. */
  readonly endpoint: string;
  readonly daemon: Daemon;
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * startDockerRuntime starts the Docker adapter as `skiff runtime docker` against a dockerd,
 * serving on socketPath (kept across restarts, so a test can kill it and start it again).
 */
export async function startDockerRuntime(
  dockerd: Dockerd,
  socketPath: string,
  options: Record<string, string> = {},
): Promise<DockerRuntimeProcess> {
  const endpoint = `unix://${socketPath}`;
  rmSync(socketPath, { force: true });
  const daemon = await startDaemon({
    name: 'runtime-docker',
    command: process.execPath,
    args: () => [
      join(repoRoot, 'core/cli/skiff.mjs'),
      'runtime',
      'docker',
      '--listen',
      endpoint,
      '--docker-host',
      dockerd.host,
      '--log-level',
      'warn',
      '--grace-seconds',
      '1',
      ...Object.entries(options).flatMap(([k, v]) => ['-o', `${k}=${v}`]),
    ],
    ready: async () => {
      if (!existsSync(socketPath)) return false;
      const client = connectRuntime(endpoint, { timeoutMs: 2000 });
      try {
        await client.version({});
        return true;
      } finally {
        client.close();
      }
    },
    readyTimeoutMs: 60_000,
  });
  return { endpoint, daemon };
}

/**
 * freePodSubnet picks a 10.x.0.0/16 no host route uses yet, so pod networks of suites that run
 * at the same time (several dockerds on one host) never overlap.
 */
export function freePodSubnet(): string {
  const routes = execFileSync('ip', ['-4', 'route', 'show'], { encoding: 'utf8' });
  for (let tries = 0; tries < 100; tries++) {
    const second = 200 + Math.floor(Math.random() * 50);
    if (!routes.includes(`10.${second}.`)) return `10.${second}.0.0/16`;
  }
  throw new Error('no free 10.200-249.0.0/16 subnet for a pod network');
}
