import { watch } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';

/** LogQuery is what `GET /containerLogs` and pods/log accept, checked. */
export interface LogQuery {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  limitBytes?: number;
}

/** LogQueryResult is a parsed query or the reason it is refused (a BadRequest message). */
export type LogQueryResult = { ok: true; query: LogQuery } | { ok: false; message: string };

const flag = (v: string | null) => v === 'true' || v === '1';

/**
 * parseLogQuery reads the pod log options from a query string the way the API server
 * validates PodLogOptions: counts are integers, tailLines may be 0, the others must be positive,
 * and sinceSeconds and sinceTime exclude each other.
 */
export function parseLogQuery(params: URLSearchParams): LogQueryResult {
  const query: LogQuery = {
    follow: flag(params.get('follow')),
    previous: flag(params.get('previous')),
    timestamps: flag(params.get('timestamps')),
  };
  const ints: [name: 'tailLines' | 'sinceSeconds' | 'limitBytes', min: number][] = [
    ['tailLines', 0],
    ['sinceSeconds', 1],
    ['limitBytes', 1],
  ];
  for (const [name, min] of ints) {
    const raw = params.get(name);
    if (raw === null || raw === '') continue;
    const n = Number(raw);
    if (!Number.isSafeInteger(n))
      return {
        ok: false,
        message: `${name}: Invalid value: ${JSON.stringify(raw)}: not an integer`,
      };
    if (n < min)
      return {
        ok: false,
        message: `${name}: Invalid value: ${n}: must be greater than ${min === 0 ? 'or equal to 0' : '0'}`,
      };
    query[name] = n;
  }
  const sinceTime = params.get('sinceTime');
  if (sinceTime !== null && sinceTime !== '') {
    if (Number.isNaN(Date.parse(sinceTime)))
      return {
        ok: false,
        message: `sinceTime: Invalid value: ${JSON.stringify(sinceTime)}: not an RFC 3339 time`,
      };
    if (query.sinceSeconds !== undefined)
      return {
        ok: false,
        message: 'at most one of `sinceTime` or `sinceSeconds` may be specified',
      };
    query.sinceTime = sinceTime;
  }
  return { ok: true, query };
}

/** logQueryString writes a LogQuery back as the query string the node endpoint reads. */
export function logQueryString(q: LogQuery): string {
  const p = new URLSearchParams();
  if (q.follow) p.set('follow', 'true');
  if (q.previous) p.set('previous', 'true');
  if (q.timestamps) p.set('timestamps', 'true');
  for (const k of ['tailLines', 'sinceSeconds', 'limitBytes', 'sinceTime'] as const)
    if (q[k] !== undefined) p.set(k, String(q[k]));
  return p.toString();
}

/** CriLogRecord is one line of a CRI log file. */
export interface CriLogRecord {
  time: string;
  stream: 'stdout' | 'stderr';
  /** partial: the runtime split a long line; the text continues in the next record. */
  partial: boolean;
  text: string;
}

const recordPattern = /^(\S+) (stdout|stderr) ([PF]) (.*)$/s;

/** parseCriLine reads one line of a CRI log file (without its newline); undefined when malformed. */
export function parseCriLine(line: string): CriLogRecord | undefined {
  const m = recordPattern.exec(line);
  if (m === null) {
    // An empty message is written with nothing after the tag.
    const bare = /^(\S+) (stdout|stderr) ([PF])$/.exec(line);
    if (bare === null) return undefined;
    return {
      time: bare[1] ?? '',
      stream: bare[2] as 'stdout',
      partial: bare[3] === 'P',
      text: '',
    };
  }
  return { time: m[1] ?? '', stream: m[2] as 'stdout', partial: m[3] === 'P', text: m[4] ?? '' };
}

/** LogWriteOptions steer writeContainerLog. */
export interface LogWriteOptions {
  follow: boolean;
  timestamps: boolean;
  tailLines?: number;
  /** since drops lines older than this time. */
  since?: Date;
  limitBytes?: number;
  /** signal ends a follow when the client goes. */
  signal?: AbortSignal;
  /** exited tells whether the container stopped; a follow ends once it has and the file is still. */
  exited?: () => Promise<boolean>;
  /** pollMs is how often a follow looks at the file when no change event came (default 250). */
  pollMs?: number;
}

interface LogicalLine {
  time: string;
  text: string;
}

/**
 * LineAssembler turns CRI records into the lines a user sees: partial records are joined with
 * the records that follow them on the same stream, and each line keeps its first record's time.
 */
class LineAssembler {
  readonly #pending = new Map<string, LogicalLine>();

  push(record: CriLogRecord): LogicalLine | undefined {
    const open = this.#pending.get(record.stream);
    const line = open
      ? { time: open.time, text: open.text + record.text }
      : { time: record.time, text: record.text };
    if (record.partial) {
      this.#pending.set(record.stream, line);
      return undefined;
    }
    this.#pending.delete(record.stream);
    return { time: line.time, text: `${line.text}\n` };
  }

  /** drain hands out partial lines still open when the log ends. */
  drain(): LogicalLine[] {
    const rest = [...this.#pending.values()];
    this.#pending.clear();
    return rest;
  }
}

/** LogOutput writes formatted lines within the byte limit; full reports when the limit is hit. */
class LogOutput {
  #written = 0;
  full = false;
  constructor(
    private readonly out: Writable,
    private readonly opts: LogWriteOptions,
  ) {}

  async write(line: LogicalLine): Promise<void> {
    if (this.full) return;
    if (this.opts.since && Date.parse(line.time) < this.opts.since.getTime()) return;
    let data = Buffer.from(this.opts.timestamps ? `${line.time} ${line.text}` : line.text);
    const limit = this.opts.limitBytes;
    if (limit !== undefined && this.#written + data.length >= limit) {
      data = data.subarray(0, limit - this.#written);
      this.full = true;
    }
    this.#written += data.length;
    if (data.length === 0 || this.out.destroyed) return;
    if (!this.out.write(data))
      await new Promise<void>((resolve) => {
        const done = () => {
          this.out.off('drain', done);
          this.out.off('close', done);
          resolve();
        };
        this.out.on('drain', done);
        this.out.on('close', done);
      });
  }
}

/** LogFileReader reads whole lines from a growing file, keeping an unfinished last line back. */
class LogFileReader {
  #offset = 0;
  #rest = Buffer.alloc(0);
  constructor(private readonly path: string) {}

  /** readLines returns the complete lines appended since the last call. */
  async readLines(): Promise<string[]> {
    let size: number;
    try {
      size = (await stat(this.path)).size;
    } catch {
      return [];
    }
    // A file shorter than what was read was rotated or truncated: start again at its beginning.
    if (size < this.#offset) {
      this.#offset = 0;
      this.#rest = Buffer.alloc(0);
    }
    if (size === this.#offset) return [];
    const fh = await open(this.path, 'r');
    const chunks: Buffer[] = [this.#rest];
    try {
      const buf = Buffer.alloc(64 * 1024);
      while (this.#offset < size) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, this.#offset);
        if (bytesRead === 0) break;
        chunks.push(Buffer.from(buf.subarray(0, bytesRead)));
        this.#offset += bytesRead;
      }
    } finally {
      await fh.close();
    }
    const all = Buffer.concat(chunks);
    const last = all.lastIndexOf(0x0a);
    this.#rest = Buffer.from(all.subarray(last + 1));
    if (last < 0) return [];
    return all.subarray(0, last).toString('utf8').split('\n');
  }

  get size(): number {
    return this.#offset;
  }
}

/**
 * writeContainerLog copies a CRI log file to out as kubectl shows it: message text only (with
 * the line's time first if asked), the last tailLines lines, lines since a time, at most
 * limitBytes bytes. With follow it keeps watching the file (change events plus polling) until
 * the container has exited and the file stopped growing, or the signal aborts.
 */
export async function writeContainerLog(
  path: string,
  out: Writable,
  opts: LogWriteOptions,
): Promise<void> {
  const reader = new LogFileReader(path);
  const lines = new LineAssembler();
  const output = new LogOutput(out, opts);
  const take = async (raw: string[]): Promise<LogicalLine[]> => {
    const got: LogicalLine[] = [];
    for (const text of raw) {
      const record = parseCriLine(text);
      if (record === undefined) continue;
      const line = lines.push(record);
      if (line) got.push(line);
    }
    return got;
  };
  let first = await take(await reader.readLines());
  if (opts.tailLines !== undefined) {
    // The unfinished partial lines count as lines too, as a user sees them at the end.
    const open = opts.follow ? [] : lines.drain();
    const all = [...first, ...open];
    first = opts.tailLines === 0 ? [] : all.slice(-opts.tailLines);
  } else if (!opts.follow) {
    first.push(...lines.drain());
  }
  for (const line of first) await output.write(line);
  if (!opts.follow || output.full) return;

  const signal = opts.signal;
  let wake: (() => void) | undefined;
  const watcher = (() => {
    try {
      return watch(path, () => wake?.());
    } catch {
      return undefined; // the file may not exist yet; polling finds it
    }
  })();
  watcher?.on('error', () => undefined);
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    let stillSince = 0;
    while (!signal?.aborted && !output.full) {
      const before = reader.size;
      for (const line of await take(await reader.readLines())) await output.write(line);
      if (reader.size !== before) {
        stillSince = 0;
        continue;
      }
      // Ended only after the file stayed still across two looks once the container stopped:
      // the runtime may still be copying its last lines.
      if (opts.exited && (await opts.exited())) {
        stillSince += 1;
        if (stillSince >= 2) break;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, opts.pollMs ?? 250);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      });
    }
    if (!signal?.aborted) for (const line of lines.drain()) await output.write(line);
  } finally {
    watcher?.close();
    signal?.removeEventListener('abort', onAbort);
  }
}
