import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** DaemonOptions describes a real daemon a test suite starts for itself. */
export interface DaemonOptions {
  /** name appears in logs and error messages (`dockerd`, `etcd-1`). */
  name: string;
  command: string;
  args: (dir: string) => string[];
  /** ready resolves true once the daemon serves; polled until readyTimeoutMs. */
  ready: (dir: string) => Promise<boolean>;
  readyTimeoutMs?: number;
  /** stopTimeoutMs is how long SIGTERM is given before SIGKILL. */
  stopTimeoutMs?: number;
  env?: Record<string, string>;
  /** cleanup runs after the process is gone (remove mounts, bridges, netns). */
  cleanup?: (dir: string) => Promise<void> | void;
}

/** Daemon is a started daemon with its own temporary directory, stopped by stop(). */
export interface Daemon {
  readonly name: string;
  /** dir is the daemon's private directory: data, sockets, logs. */
  readonly dir: string;
  readonly pid: number;
  log(): string;
  /** kill sends a signal to the whole process group without cleaning up (crash tests). */
  kill(signal?: NodeJS.Signals): void;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** startDaemon spawns a daemon in its own process group and waits until it is ready. */
export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), `skiff-${opts.name}-`));
  const logPath = join(dir, 'daemon.log');
  const fd = openSync(logPath, 'a');
  const child = spawn(opts.command, opts.args(dir), {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, ...opts.env },
  });
  live.add(child);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
    live.delete(child);
  });
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err) =>
      reject(new Error(`${opts.name}: cannot start ${opts.command}: ${err.message}`)),
    ),
  );
  spawnError.catch(() => {});
  const log = () => {
    try {
      return readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  };
  const stop = async () => {
    if (!exited && child.pid) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, opts.stopTimeoutMs ?? 10_000);
      await gone;
      clearTimeout(timer);
    }
    await opts.cleanup?.(dir);
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) {
      const text = log();
      await stop();
      throw new Error(`${opts.name} ${exited} before it was ready; its log:\n${text.slice(-4000)}`);
    }
    if (await Promise.race([opts.ready(dir).catch(() => false), spawnError])) break;
    if (Date.now() > deadline) {
      const text = log();
      await stop();
      throw new Error(
        `${opts.name} not ready after ${opts.readyTimeoutMs ?? 60_000} ms; its log:\n${text.slice(-4000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name: opts.name,
    dir,
    pid: child.pid ?? -1,
    log,
    kill(signal = 'SIGKILL') {
      if (child.pid) process.kill(-child.pid, signal);
    },
    stop,
  };
}
