import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type { Logger } from '../../sdk/plugin.ts';
import { type DockerContext, dockerMessage } from './labels.ts';

// Docker prefixes each line with a fixed-width RFC 3339 time (nine fraction digits), so
// comparing the strings compares the times.
const timestamped = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) ?(.*)$/s;

/** lastLogTime reads the time of the last line a CRI log file holds, or '' for none. */
export function lastLogTime(path: string): string {
  if (!existsSync(path)) return '';
  const size = statSync(path).size;
  if (size === 0) return '';
  const length = Math.min(size, 64 * 1024);
  const buf = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, length, size - length);
  } finally {
    closeSync(fd);
  }
  const lines = buf.toString('utf8').split('\n').filter(Boolean);
  const last = lines[lines.length - 1] ?? '';
  return /^\S+/.exec(last)?.[0] ?? '';
}

/** criLogLine formats one line in the CRI log format: time, stream, tag (F = full) and text. */
export function criLogLine(time: string, stream: 'stdout' | 'stderr', text: string): string {
  return `${time} ${stream} F ${text}\n`;
}

function isoToDockerSince(iso: string): string {
  const m = /^(.*)\.(\d{9})Z$/.exec(iso);
  if (!m) return '0';
  return `${Math.floor(Date.parse(`${m[1]}Z`) / 1000)}.${m[2]}`;
}

/**
 * LogCopier copies each container's Docker log stream into its CRI log file. It resumes after
 * the last line already in the file, so an adapter started again neither loses nor repeats lines.
 */
export class LogCopier {
  readonly #ctx: DockerContext;
  readonly #active = new Map<string, Readable>();
  readonly #reopeners = new Map<string, () => void>();
  // Copies whose log stream Docker has not opened yet, each with whether stop() came meanwhile.
  readonly #opening = new Map<string, boolean>();
  readonly #logger: Logger | undefined;

  constructor(ctx: DockerContext, logger?: Logger) {
    this.#ctx = ctx;
    this.#logger = logger;
  }

  /**
   * followSoon starts the copy without waiting for Docker to open the log stream. Docker keeps
   * every line in its own log, and the copy starts from the last line the file holds, so
   * nothing is lost by opening the stream after the container has started; a failure is logged.
   */
  followSoon(containerId: string, path: string): void {
    this.follow(containerId, path).catch((err: unknown) => {
      this.#logger?.warn('runtime-docker: cannot copy container logs', {
        containerId,
        path,
        error: dockerMessage(err),
      });
    });
  }

  /** follow starts copying a container's logs to path unless that already runs. */
  async follow(containerId: string, path: string): Promise<void> {
    if (!path || this.#active.has(containerId) || this.#opening.has(containerId)) return;
    this.#opening.set(containerId, false);
    let raw: Readable;
    let after: string;
    let stopped: boolean;
    try {
      mkdirSync(dirname(path), { recursive: true });
      after = lastLogTime(path);
      raw = (await this.#ctx.docker.getContainer(containerId).logs({
        follow: true,
        stdout: true,
        stderr: true,
        timestamps: true,
        since: after ? isoToDockerSince(after) : 0,
      })) as unknown as Readable;
    } finally {
      stopped = this.#opening.get(containerId) === true;
      this.#opening.delete(containerId);
    }
    // The container was removed (or the copier closed) while Docker opened the stream.
    if (stopped) {
      raw.destroy();
      return;
    }
    this.#active.set(containerId, raw);
    let fd = openSync(path, 'a');
    let closed = false;
    // After the kubelet renames the file for rotation, later lines go to a new file at path.
    this.#reopeners.set(containerId, () => {
      if (closed) return;
      const next = openSync(path, 'a');
      closeSync(fd);
      fd = next;
    });
    const pipe = (stream: 'stdout' | 'stderr') => {
      const out = new PassThrough();
      let pending = '';
      out.on('data', (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        let nl = pending.indexOf('\n');
        while (nl >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          const m = timestamped.exec(line);
          // Lines at or before the resume point are already in the file (since is inclusive).
          if (!closed && m?.[1] && !(after && m[1] <= after))
            writeSync(fd, criLogLine(m[1], stream, m[2] ?? ''));
          nl = pending.indexOf('\n');
        }
      });
      return out;
    };
    this.#ctx.docker.modem.demuxStream(raw, pipe('stdout'), pipe('stderr'));
    const finish = () => {
      if (this.#active.get(containerId) !== raw) return;
      this.#active.delete(containerId);
      this.#reopeners.delete(containerId);
      // Let the demultiplexer hand over what it still holds before the file closes.
      setImmediate(() => {
        closed = true;
        closeSync(fd);
      });
    };
    raw.on('end', finish);
    raw.on('close', finish);
    raw.on('error', finish);
  }

  /** reopen makes a running copy write to a fresh file at its path; false when none runs. */
  reopen(containerId: string): boolean {
    const reopen = this.#reopeners.get(containerId);
    reopen?.();
    return reopen !== undefined;
  }

  /** stop ends the copy of one container (it was removed). */
  stop(containerId: string): void {
    if (this.#opening.has(containerId)) this.#opening.set(containerId, true);
    this.#active.get(containerId)?.destroy();
  }

  /** close ends every copy; files keep what was written. */
  close(): void {
    for (const id of this.#opening.keys()) this.#opening.set(id, true);
    for (const stream of this.#active.values()) stream.destroy();
  }
}
