import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerdConfig, waitForContainerd } from '../../plugins/runtime-containerd/daemon.ts';
import { type Daemon, startDaemon } from './daemon.ts';

/** NativeContainerd is a private containerd without its CRI plugin, for the native adapter. */
export interface NativeContainerd {
  /** socket is containerd's own gRPC socket path. */
  readonly socket: string;
  readonly daemon: Daemon;
  stop(): Promise<void>;
}

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

// runc keeps the containers of each namespace under <dir>/runc/<namespace>.
function deleteContainers(dir: string): void {
  const root = join(dir, 'runc');
  if (!existsSync(root)) return;
  for (const ns of readdirSync(root)) {
    for (const id of readdirSync(join(root, ns))) {
      try {
        execFileSync('/usr/sbin/runc', ['--root', join(root, ns), 'delete', '--force', id], {
          stdio: 'ignore',
        });
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

/**
 * startNativeContainerd starts containerd with the adapter's own private configuration (CRI
 * disabled) in a temp dir; stop kills leftover shims and containers and unmounts everything.
 */
export async function startNativeContainerd(): Promise<NativeContainerd> {
  if (!existsSync('/usr/bin/containerd')) {
    throw new Error('/usr/bin/containerd is missing: install the Debian package containerd');
  }
  let socket = '';
  const daemon = await startDaemon({
    name: 'containerd-native',
    command: '/usr/bin/containerd',
    args: (dir) => {
      writeFileSync(join(dir, 'config.toml'), containerdConfig(dir));
      socket = join(dir, 'containerd.sock');
      return ['--config', join(dir, 'config.toml')];
    },
    ready: async (dir) => {
      try {
        await waitForContainerd(join(dir, 'containerd.sock'), 1_000);
        return true;
      } catch {
        return false;
      }
    },
    readyTimeoutMs: 60_000,
    stopTimeoutMs: 15_000,
    cleanup: (dir) => {
      killShims(socket);
      deleteContainers(dir);
      unmountUnder(dir);
    },
  });
  return { socket, daemon, stop: () => daemon.stop() };
}
