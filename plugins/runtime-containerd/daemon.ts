import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../sdk/plugin.ts';
import { ContainerdClient } from './client.ts';

/** containerdBinary is where Debian's containerd package puts the daemon. */
export const containerdBinary = '/usr/bin/containerd';

/**
 * containerdConfig is the config.toml of a private containerd kept wholly under dir: root,
 * state, sockets, runc root. Its CRI plugin is disabled: the adapter drives containerd's own
 * services and nothing else may manage the pods.
 */
export function containerdConfig(dir: string): string {
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "${dir}/containerd.sock"

[ttrpc]
  address = "${dir}/containerd.sock.ttrpc"

[debug]
  level = "warn"

[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"
`;
}

/** PrivateContainerd is a containerd the adapter started for itself under its data dir. */
export interface PrivateContainerd {
  readonly socket: string;
  readonly pid: number;
  /** stop ends containerd (its shims, and so the containers, live on, as with any containerd). */
  stop(): Promise<void>;
}

/** waitForContainerd polls containerd's version service until it answers or time runs out. */
export async function waitForContainerd(socket: string, timeoutMs: number): Promise<string> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    if (existsSync(socket)) {
      const client = new ContainerdClient(socket, 'default');
      try {
        const v = await client.call<{ version: string }>(
          'version',
          'Version',
          {},
          {
            timeoutMs: 2_000,
          },
        );
        return v.version;
      } catch (err) {
        last = err;
      } finally {
        client.close();
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `containerd does not answer on ${socket} after ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`,
  );
}

/**
 * startPrivateContainerd starts containerd with its own root, state, socket and config under
 * dataDir (as k3s does) and waits until it answers. containerd must be installed.
 */
export async function startPrivateContainerd(
  dataDir: string,
  logger?: Logger,
): Promise<PrivateContainerd> {
  if (!existsSync(containerdBinary)) {
    throw new Error(`${containerdBinary} is missing: install the Debian package containerd`);
  }
  mkdirSync(dataDir, { recursive: true });
  const configPath = join(dataDir, 'config.toml');
  writeFileSync(configPath, containerdConfig(dataDir));
  const socket = join(dataDir, 'containerd.sock');
  const log = openSync(join(dataDir, 'containerd.log'), 'a');
  const child = spawn(containerdBinary, ['--config', configPath], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`containerd exited with ${code ?? signal}; see ${dataDir}/containerd.log`)),
    );
  });
  exited.catch(() => {});
  try {
    const version = await Promise.race([waitForContainerd(socket, 30_000), exited]);
    logger?.info(`private containerd ${version} on ${socket}`);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    socket,
    pid: child.pid ?? 0,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
