import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connectRuntime } from '../../sdk/runtime/client.ts';
import { type Daemon, startDaemon } from './daemon.ts';

const run = promisify(execFile);

/** Containerd is a private containerd with its CRI plugin, started by a suite for itself. */
export interface Containerd {
  /** endpoint is the grpc socket as `unix:///...`; it serves runtime.v1 (CRI) directly. */
  readonly endpoint: string;
  readonly socket: string;
  /** bridge is the name of the host bridge its pods attach to. */
  readonly bridge: string;
  /** subnet is the pods' IPv4 subnet. */
  readonly subnet: string;
  readonly daemon: Daemon;
  /** importImages imports a tarball (OCI layout or docker save) into the CRI namespace. */
  importImages(tarPath: string): Promise<string[]>;
  /** stop removes every sandbox, stops containerd, unmounts, deletes the bridge and its data. */
  stop(): Promise<void>;
}

/** ContainerdOptions configures the private containerd. */
export interface ContainerdOptions {
  /** sandboxImage is the pause image reference CRI uses; import it before the first sandbox. */
  sandboxImage: string;
  /** plainHttpRegistries are `host:port` registries pulled from over plain HTTP (test registries). */
  plainHttpRegistries?: string[];
}

const containerdPath = '/usr/bin/containerd';
const ctrPath = '/usr/bin/ctr';
const cniBinDir = '/usr/lib/cni';

function configToml(dir: string, sandboxImage: string, plainHttp: string[]): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  const mirrors = plainHttp
    .map((host) => `\n[${cri}.registry.mirrors."${host}"]\n  endpoint = ["http://${host}"]\n`)
    .join('');
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"

[grpc]
  address = "${dir}/containerd.sock"

[ttrpc]
  address = "${dir}/containerd.sock.ttrpc"

[debug]
  level = "warn"

[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"

[${cri}]
  sandbox_image = "${sandboxImage}"
  # This host's root may not lower oom_score_adj; without this runc fails to start anything.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  # Pod network namespaces are mounted under our state dir, so cleanup finds them all even
  # when containerd died before removing its sandboxes.
  netns_mounts_under_state_dir = true

[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false
  Root = "${dir}/runc"

[${cri}.cni]
  bin_dir = "${cniBinDir}"
  conf_dir = "${dir}/cni"
  max_conf_num = 1
${mirrors}`;
}

// CRI sets up the pods' loopback itself; the conflist gives each pod a veth on a bridge of its
// own with host-local addresses, and no masquerading, so no iptables rule is written.
function cniConflist(dir: string, bridge: string, subnet: string, gateway: string): string {
  return JSON.stringify(
    {
      cniVersion: '0.4.0',
      name: bridge,
      plugins: [
        {
          type: 'bridge',
          bridge,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet, gateway }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: join(dir, 'cni-ipam'),
          },
        },
      ],
    },
    null,
    2,
  );
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

function unmountUnder(dir: string): void {
  for (const m of mountsUnder(dir)) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}

// Containers outlive a killed shim; runc, with the root the config gives it, kills and deletes
// them with their cgroups.
function deleteContainers(dir: string): void {
  const runcRoot = join(dir, 'runc', 'k8s.io');
  if (!existsSync(runcRoot)) return;
  for (const id of readdirSync(runcRoot)) {
    try {
      execFileSync('/usr/sbin/runc', ['--root', runcRoot, 'delete', '--force', id], {
        stdio: 'ignore',
      });
    } catch {
      // already gone
    }
  }
}

// Shims outlive containerd on purpose; ours are the ones started with our socket address.
function killShims(socket: string): void {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd[0]?.includes('containerd-shim') && cmd.includes(socket)) {
        process.kill(Number(pid), 'SIGKILL');
      }
    } catch {
      // exited meanwhile
    }
  }
}

function deleteLink(name: string): void {
  try {
    execFileSync('ip', ['link', 'del', name], { stdio: 'ignore' });
  } catch {
    // not there
  }
}

/**
 * startContainerd starts containerd 1.6 with its CRI plugin on a socket in a temp dir: its
 * own root, state, runc root and CNI config (a private bridge on a random 10.88.x.0/24),
 * overlayfs snapshots, restrict_oom_score_adj, and the given pause image as sandbox image.
 */
export async function startContainerd(options: ContainerdOptions): Promise<Containerd> {
  for (const [path, pkg] of [
    [containerdPath, 'containerd'],
    [ctrPath, 'containerd'],
    ['/usr/sbin/runc', 'runc'],
    [join(cniBinDir, 'bridge'), 'containernetworking-plugins'],
  ] as const) {
    if (!existsSync(path)) throw new Error(`${path} is missing: install the Debian package ${pkg}`);
  }
  const suffix = Math.random().toString(36).slice(2, 8);
  const bridge = `skcri${suffix}`;
  const octet = 100 + Math.floor(Math.random() * 150);
  const subnet = `10.88.${octet}.0/24`;
  const gateway = `10.88.${octet}.1`;
  let socket = '';
  const daemon = await startDaemon({
    name: 'containerd',
    command: containerdPath,
    args: (dir) => {
      mkdirSync(join(dir, 'cni'), { recursive: true });
      writeFileSync(
        join(dir, 'config.toml'),
        configToml(dir, options.sandboxImage, options.plainHttpRegistries ?? []),
      );
      writeFileSync(
        join(dir, 'cni', '10-skiff.conflist'),
        cniConflist(dir, bridge, subnet, gateway),
      );
      socket = join(dir, 'containerd.sock');
      return ['--config', join(dir, 'config.toml')];
    },
    ready: async (dir) => {
      if (!existsSync(join(dir, 'containerd.sock'))) return false;
      const client = connectRuntime(`unix://${join(dir, 'containerd.sock')}`, { timeoutMs: 2_000 });
      try {
        const status = await client.status({});
        return status.status?.conditions.every((c) => c.status) ?? false;
      } finally {
        client.close();
      }
    },
    readyTimeoutMs: 60_000,
    stopTimeoutMs: 15_000,
    cleanup: (dir) => {
      killShims(socket);
      deleteContainers(dir);
      unmountUnder(dir);
      deleteLink(bridge);
    },
  });
  const endpoint = `unix://${socket}`;

  const removeAllSandboxes = async () => {
    const client = connectRuntime(endpoint, { timeoutMs: 60_000 });
    try {
      const { items } = await client.listPodSandbox({});
      for (const sandbox of items) {
        await client.stopPodSandbox({ podSandboxId: sandbox.id }).catch(() => {});
        await client.removePodSandbox({ podSandboxId: sandbox.id }).catch(() => {});
      }
    } catch {
      // containerd is already gone: the daemon cleanup still unmounts and kills shims
    } finally {
      client.close();
    }
  };

  return {
    endpoint,
    socket,
    bridge,
    subnet,
    daemon,
    async importImages(tarPath) {
      const { stdout } = await run(
        ctrPath,
        ['-a', socket, '-n', 'k8s.io', 'images', 'import', tarPath],
        { maxBuffer: 16 * 1024 * 1024 },
      );
      return stdout
        .split('\n')
        .map((l) => /^unpacking (\S+)/.exec(l)?.[1])
        .filter((n): n is string => Boolean(n));
    },
    async stop() {
      await removeAllSandboxes();
      await daemon.stop();
    },
  };
}
