// A whole one-node cluster (`skiff up`, its runtime, its pods, its Service forwarding and
// cluster DNS) inside a network namespace made for the test, so its nat rules, bridges and
// DNS sockets never touch the host's network. The namespace gets a stand-in uplink with a
// default route, as a real node has, so node-to-ClusterIP traffic is routable.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalizeImageRef } from '../../sdk/runtime/image-ref.ts';
import { buildImages } from '../fixtures/images/index.ts';
import { type Dockerd, startDockerd } from './dockerd.ts';
import { pushImage, type Registry, startRegistry } from './registry.ts';

const cli = fileURLToPath(new URL('../../core/cli/skiff.mjs', import.meta.url));

/** nodeAddress is the node's own address on its uplink (NodePorts answer there). */
export const nodeAddress = '192.168.240.2';

/** NodeRuntimeName is a runtime `skiff up` can run the node on. */
export type NodeRuntimeName = 'containerd' | 'docker' | 'microvm';

/** Result is what a command run inside the namespace printed, and its exit code. */
export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** NetnsNode is a running one-node cluster inside its own network namespace. */
export interface NetnsNode {
  readonly netns: string;
  readonly runtime: NodeRuntimeName;
  readonly kubeconfig: string;
  /** kubectl runs the real kubectl inside the namespace against this cluster. */
  kubectl(args: string[], stdin?: string): Promise<Result>;
  /** exec runs any command inside the namespace: "from the node". */
  exec(command: string, args: string[], timeoutMs?: number): Promise<Result>;
  /** output is what `skiff up` printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

/** NetnsNodeOptions choose the node's runtime and the images it can run. */
export interface NetnsNodeOptions {
  runtime: NodeRuntimeName;
  /** images are fixture image names (test/fixtures/images) served by the node's registry mirror. */
  images: string[];
}

function run(command: string, args: string[], stdin?: string, timeoutMs = 60_000) {
  return new Promise<Result>((done) => {
    const child = execFile(
      command,
      args,
      { timeout: timeoutMs, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        done({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

function killUnder(dir: string): void {
  for (const line of execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n')) {
    const pid = Number(line.trim().split(' ')[0]);
    if (line.includes(dir) && pid > 0 && pid !== process.pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}

const podNetnsNames = () => {
  try {
    return new Set(readdirSync('/run/netns'));
  } catch {
    return new Set<string>();
  }
};

/**
 * startNetnsNode makes a network namespace, serves the fixture images from a registry inside
 * it (as the node's docker.io mirror, so untagged images pull as they would from Docker Hub),
 * and runs `skiff up` there on the chosen runtime. stop() is Ctrl-C, then whatever is left
 * is killed, unmounted and deleted, the namespace last; it also runs when the process exits.
 */
export async function startNetnsNode(options: NetnsNodeOptions): Promise<NetnsNode> {
  const netns = `skiff-t-${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'skiff-netns-node-'));
  const netnsBefore = podNetnsNames();
  let registry: Registry | undefined;
  let dockerd: Dockerd | undefined;
  let child: ChildProcess | undefined;
  let out = '';
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', onExit);
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child?.once('exit', r));
      child.kill('SIGINT');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 60_000))]);
    }
    await dockerd?.stop().catch(() => {});
    await registry?.stop().catch(() => {});
    onExit();
  };
  // Last resort, synchronous: whatever still names the node's directory dies with the test.
  const onExit = () => {
    killUnder(dir);
    unmountUnder(dir);
    for (const name of podNetnsNames()) {
      if (!netnsBefore.has(name) && name.startsWith('skiff-')) {
        try {
          ip('netns', 'del', name);
        } catch {
          // already gone
        }
      }
    }
    try {
      ip('netns', 'del', netns);
    } catch {
      // already gone, or never made
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  try {
    ip('netns', 'add', netns);
    ip('-n', netns, 'link', 'set', 'lo', 'up');
    // A veth pair with both ends inside (this kernel has no dummy devices) is the uplink.
    ip('-n', netns, 'link', 'add', 'uplink0', 'type', 'veth', 'peer', 'name', 'uplink1');
    ip('-n', netns, 'addr', 'add', `${nodeAddress}/24`, 'dev', 'uplink0');
    ip('-n', netns, 'link', 'set', 'uplink1', 'up');
    ip('-n', netns, 'link', 'set', 'uplink0', 'up');
    ip('-n', netns, 'route', 'add', 'default', 'dev', 'uplink0');

    // Fill the registry's storage from the host, then serve it inside the namespace.
    const archive = await buildImages(options.images);
    const storage = join(dir, 'registry');
    const filler = await startRegistry({ storage });
    try {
      for (const name of options.images) {
        const full = normalizeImageRef(name);
        if (!full.startsWith('docker.io/')) continue;
        await pushImage(archive.path, `${filler.address}/${full.slice('docker.io/'.length)}`, name);
      }
    } finally {
      await filler.stop();
    }
    registry = await startRegistry({ netns, storage });
    const mirror = `http://${registry.address}`;

    const dataDir = join(dir, 'data');
    mkdirSync(join(dataDir, 'images'), { recursive: true });
    const args = [`--net=/run/netns/${netns}`, process.execPath, cli, 'up'];
    args.push('--data-dir', dataDir, '--port', '0', '--runtime', options.runtime);
    if (options.runtime === 'docker') {
      dockerd = await startDockerd({ netns, registryMirrors: [mirror] });
      await dockerd.loadImages(archive.path);
      args.push('--docker-host', dockerd.host);
    } else {
      // Tagged images are on the node already, as in an air-gapped install.
      copyFileSync(archive.path, join(dataDir, 'images', 'fixtures.tar'));
      args.push('--registry-mirror', `docker.io=${mirror}`);
    }
    const started = spawn('nsenter', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    const kubeconfig = await new Promise<string>((done, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`skiff up in ${netns} not ready in 120 s:\n${out}`)),
        120_000,
      );
      const feed = (d: Buffer) => {
        out += d.toString();
        const m = /export KUBECONFIG=(\S+)/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          done(m[1]);
        }
      };
      started.stdout?.on('data', feed);
      started.stderr?.on('data', feed);
      started.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`skiff up in ${netns} exited ${code}:\n${out}`));
      });
    });
    const inside = [`--net=/run/netns/${netns}`];
    return {
      netns,
      runtime: options.runtime,
      kubeconfig,
      kubectl: (a, stdin) =>
        run(
          'nsenter',
          [
            ...inside,
            '/usr/bin/kubectl',
            '--kubeconfig',
            kubeconfig,
            '--cache-dir',
            join(dir, 'kube-cache'),
            ...a,
          ],
          stdin,
        ),
      exec: (command, a, timeoutMs) =>
        run('nsenter', [...inside, command, ...a], undefined, timeoutMs),
      output: () => out,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
