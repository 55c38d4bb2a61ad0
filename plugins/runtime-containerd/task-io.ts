import { execFile } from 'node:child_process';
import {
  closeSync,
  constants,
  createWriteStream,
  mkdirSync,
  openSync,
  rmSync,
  type WriteStream,
} from 'node:fs';
import { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** TaskFifos are the stdout and stderr FIFOs the shim writes a task's output into. */
export interface TaskFifos {
  stdout: string;
  stderr: string;
}

/** fifosOf names the FIFOs of one process (a container's init, or an exec) under dir. */
export function fifosOf(dir: string): TaskFifos {
  return { stdout: join(dir, 'stdout'), stderr: join(dir, 'stderr') };
}

/** makeFifos creates a process's FIFOs (reusing existing ones, as after a restart). */
export async function makeFifos(dir: string): Promise<TaskFifos> {
  mkdirSync(dir, { recursive: true });
  const fifos = fifosOf(dir);
  // One mkfifo for both: a FIFO that exists already is reported and left as it is.
  await run('mkfifo', ['-m', '0600', fifos.stdout, fifos.stderr]).catch(
    (err: { stderr?: string }) => {
      const lines = (err.stderr ?? '').split('\n').filter(Boolean);
      if (!lines.length || !lines.every((l) => /File exists/.test(l))) throw err;
    },
  );
  return fifos;
}

/** removeFifos deletes a process's FIFO directory. */
export function removeFifos(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

// Opening read-write never blocks waiting for the writer, and keeps the pipe open across the
// shim's own reopen; the reader is closed when the process has exited.
/** openPipe opens a FIFO without blocking, for reading (or writing, a process's stdin). */
export function openPipe(path: string, write = false): Socket {
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  try {
    return new Socket({ fd, readable: !write, writable: write });
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/**
 * CriLogWriter copies a process's stdout and stderr FIFOs into a CRI log file: one line per
 * output line, `<RFC 3339 time> <stream> <F|P> <text>`.
 */
export class CriLogWriter {
  readonly #pipes: Socket[] = [];
  readonly #out: WriteStream | undefined;
  readonly #collected: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] };
  readonly #collect: boolean;

  /** open starts copying; with no logPath the output is only collected (ExecSync). */
  constructor(fifos: TaskFifos, logPath: string | undefined, collect = false) {
    this.#collect = collect;
    if (logPath) {
      mkdirSync(dirname(logPath), { recursive: true });
      this.#out = createWriteStream(logPath, { flags: 'a' });
    }
    for (const stream of ['stdout', 'stderr'] as const) {
      const pipe = openPipe(fifos[stream]);
      let pending = '';
      pipe.on('data', (chunk: Buffer) => {
        if (this.#collect) this.#collected[stream].push(chunk);
        if (!this.#out) return;
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) this.#write(stream, 'F', line);
      });
      pipe.on('close', () => {
        if (pending) this.#write(stream, 'F', pending);
        pending = '';
      });
      pipe.on('error', () => {});
      this.#pipes.push(pipe);
    }
  }

  #write(stream: string, tag: string, text: string): void {
    this.#out?.write(`${new Date().toISOString()} ${stream} ${tag} ${text}\n`);
  }

  /** output returns what was collected so far from each stream. */
  output(): { stdout: Buffer; stderr: Buffer } {
    return {
      stdout: Buffer.concat(this.#collected.stdout),
      stderr: Buffer.concat(this.#collected.stderr),
    };
  }

  /** close drains what the pipes still hold, then closes them and the log file. */
  async close(): Promise<void> {
    // The process is gone; what it wrote is in the pipe buffer, read on the next turns.
    await new Promise((r) => setTimeout(r, 50));
    await Promise.all(
      this.#pipes.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.destroyed) return resolve();
            p.once('close', () => resolve());
            p.destroy();
          }),
      ),
    );
    if (this.#out) await new Promise<void>((r) => this.#out?.end(() => r()));
  }
}
