import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { SkiffError } from '../../sdk/errors.ts';
import {
  decodeFields,
  encodeFields,
  encodeFrame,
  type Field,
  type Frame,
  FrameReader,
  type FrameType,
  fieldValue,
  frameType,
  maxPayload,
} from './guest/frames.ts';
import type {
  ExecSyncResult,
  GuestChannelEvents,
  GuestChannelOptions,
  GuestContainerSpec,
  GuestContainerState,
  GuestExecSpec,
  GuestHello,
  OutputStream,
  ProcessExit,
} from './guest/specs.ts';
import {
  closedError,
  GuestExec,
  guestError,
  type ProcessSink,
  processFields,
  signalNumber,
} from './guest-exec.ts';

export type {
  ExecSyncResult,
  GuestChannelEvents,
  GuestChannelOptions,
  GuestContainerSpec,
  GuestContainerState,
  GuestExecSpec,
  GuestHello,
  GuestMount,
  GuestProcessOptions,
  OutputStream,
  ProcessExit,
} from './guest/specs.ts';

export { GuestExec, type GuestExecEvents } from './guest-exec.ts';

/** maxExecSyncOutput caps what execSync keeps of each stream; the rest is dropped. */
export const maxExecSyncOutput = 16 * 1024 * 1024;

interface Pending {
  resolve: (fields: Field[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * GuestChannel is the host's connection to one guest agent over the unix socket qemu serves
 * for the `org.skiff.agent` virtserialport. Requests are matched to responses by id;
 * container output and exits arrive as events. Guest refusals reject with a SkiffError whose
 * code the guest chose (NotFound, AlreadyExists, Invalid, FailedPrecondition,
 * InternalError); a broken or closed connection rejects with ServiceUnavailable, a request
 * the guest does not answer in time with Timeout.
 */
export class GuestChannel extends EventEmitter<GuestChannelEvents> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly processes = new Map<number, ProcessSink>();
  private readonly containerByProcess = new Map<number, string>();
  private readonly reader = new FrameReader();
  private closed: Error | undefined;
  private readonly gone: Promise<void>;
  private readonly requestTimeoutMs: number;

  private constructor(
    private readonly socket: Socket,
    opts: GuestChannelOptions,
  ) {
    super();
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.gone = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.reader.push(chunk);
      } catch (err) {
        socket.destroy(err as Error);
        return;
      }
      for (const frame of frames) this.dispatch(frame);
    });
    socket.on('error', (err) => this.shut(err));
    socket.on('close', () => this.shut(undefined));
  }

  /**
   * connect opens the channel at qemu's socket path, retrying while the socket does not exist
   * or refuses (qemu still starting). It does not wait for the guest: call hello() for that.
   */
  static async connect(path: string, opts: GuestChannelOptions = {}): Promise<GuestChannel> {
    const deadline = Date.now() + (opts.connectTimeoutMs ?? 10_000);
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path);
          s.once('connect', () => {
            s.removeListener('error', reject);
            resolve(s);
          });
          s.once('error', reject);
        });
        return new GuestChannel(socket, opts);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code !== 'ENOENT' && code !== 'ECONNREFUSED') || Date.now() > deadline) {
          throw new SkiffError(
            'ServiceUnavailable',
            `cannot connect to the guest agent socket ${path}: ${(err as Error).message}`,
            { cause: err },
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /**
   * hello waits until the guest agent answers (it queues in qemu until the agent opens its
   * port), so it measures boot; timeoutMs defaults to 60 s for slow software emulation.
   */
  async hello(timeoutMs = 60_000): Promise<GuestHello> {
    const fields = await this.request(frameType.hello, [], timeoutMs);
    return {
      agent: fieldValue(fields, 'agent') ?? '',
      kernel: fieldValue(fields, 'kernel') ?? '',
      hostname: fieldValue(fields, 'hostname') ?? '',
    };
  }

  /**
   * createContainer creates and starts a container; it resolves once its process runs. Its
   * output and exit arrive as `output` and `exit` events named by spec.name.
   */
  async createContainer(spec: GuestContainerSpec): Promise<void> {
    const fields: Field[] = [
      ['container', spec.name],
      ['rootfs', spec.rootfs],
      ...processFields(spec),
    ];
    for (const m of spec.mounts ?? []) {
      fields.push(['mount', `${m.readonly ? 'ro' : 'rw'}:${m.source}:${m.destination}`]);
    }
    if (spec.limits?.cpuMax) fields.push(['cpu.max', spec.limits.cpuMax]);
    if (spec.limits?.memoryMax) fields.push(['memory.max', spec.limits.memoryMax]);
    const id = this.takeId();
    this.containerByProcess.set(id, spec.name);
    try {
      await this.request(frameType.create, fields, this.requestTimeoutMs, id);
    } catch (err) {
      this.containerByProcess.delete(id);
      throw err;
    }
  }

  /** signalContainer sends a signal to a container's main process (exited: no error). */
  async signalContainer(name: string, signal: number | NodeJS.Signals): Promise<void> {
    await this.request(frameType.signal, [
      ['container', name],
      ['signal', String(signalNumber(signal))],
    ]);
  }

  /**
   * writeContainerStdin sends bytes to the stdin of a container created with `stdin: true`;
   * an empty write is not sent. It returns false when the channel does not know the container
   * (after a reconnect, listContainers() teaches it again).
   */
  writeContainerStdin(name: string, data: Buffer | string): boolean {
    const id = this.processOf(name);
    if (id === undefined) return false;
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let at = 0; at < buf.length; at += maxPayload) {
      this.send(frameType.stdin, id, buf.subarray(at, at + maxPayload));
    }
    return true;
  }

  /** closeContainerStdin ends a container's stdin; false when the container is unknown. */
  closeContainerStdin(name: string): boolean {
    const id = this.processOf(name);
    if (id === undefined) return false;
    this.send(frameType.stdin, id);
    return true;
  }

  /** resizeContainerTerminal sets the size of a `tty: true` container's terminal. */
  resizeContainerTerminal(name: string, rows: number, cols: number): boolean {
    const id = this.processOf(name);
    if (id === undefined) return false;
    this.send(
      frameType.resize,
      id,
      encodeFields([
        ['rows', String(rows)],
        ['cols', String(cols)],
      ]),
    );
    return true;
  }

  private processOf(name: string): number | undefined {
    for (const [id, n] of this.containerByProcess) if (n === name) return id;
    return undefined;
  }

  /** removeContainer kills a container if it runs and removes it; unknown names are fine. */
  async removeContainer(name: string): Promise<void> {
    await this.request(frameType.remove, [['container', name]]);
    for (const [id, n] of this.containerByProcess) {
      if (n === name) this.containerByProcess.delete(id);
    }
  }

  /** listContainers reports every container the guest knows; it also relearns their ids. */
  async listContainers(): Promise<GuestContainerState[]> {
    const fields = await this.request(frameType.list, []);
    const out: GuestContainerState[] = [];
    let highest = 0;
    for (const [key, value] of fields) {
      if (key === 'exec') highest = Math.max(highest, Number(value));
      if (key === 'container') {
        out.push({ name: value, process: 0, state: 'running' });
        continue;
      }
      const last = out.at(-1);
      if (!last) continue;
      if (key === 'process') last.process = Number(value);
      else if (key === 'state') last.state = value === 'exited' ? 'exited' : 'running';
      else if (key === 'pid') last.pid = Number(value);
      else if (key === 'exit') last.exit = { exitCode: Number(value), timedOut: false };
      else if (key === 'signal') {
        last.exit = { exitCode: 128 + Number(value), signal: Number(value), timedOut: false };
      }
    }
    for (const c of out) {
      this.containerByProcess.set(c.process, c.name);
      highest = Math.max(highest, c.process);
    }
    if (highest >= this.nextId) this.nextId = highest + 1;
    return out;
  }

  /**
   * exec starts a process in a running container. It returns at once so listeners can be
   * attached before any output arrives; await `started` and `exited` on the result. An
   * empty argv throws a SkiffError (Invalid) at once.
   */
  exec(spec: GuestExecSpec): GuestExec {
    const id = this.takeId();
    let exitResolve!: (e: ProcessExit) => void;
    let exitReject!: (err: Error) => void;
    const exited = new Promise<ProcessExit>((resolve, reject) => {
      exitResolve = resolve;
      exitReject = reject;
    });
    const fields: Field[] = [
      ['container', spec.container],
      ...processFields(spec),
      ['timeout', String(Math.max(0, Math.ceil(spec.timeoutSeconds ?? 0)))],
    ];
    const started = this.request(frameType.exec, fields, this.requestTimeoutMs, id).then(
      () => {},
      (err: Error) => {
        this.processes.delete(id);
        exitReject(err);
        throw err;
      },
    );
    const proc = new GuestExec(id, this, started, exited);
    this.processes.set(id, {
      output: (stream, data) => proc.emit(stream, data),
      exit: (e) => {
        this.processes.delete(id);
        exitResolve(e);
      },
      fail: exitReject,
    });
    return proc;
  }

  /**
   * execSync runs a process to its end and returns its exit and output (each stream capped
   * at maxExecSyncOutput). A timeout is an outcome (timedOut), not an error.
   */
  async execSync(spec: Omit<GuestExecSpec, 'stdin' | 'tty'>): Promise<ExecSyncResult> {
    const proc = this.exec({ ...spec, stdin: false, tty: false });
    const out: Record<OutputStream, Buffer[]> = { stdout: [], stderr: [] };
    const kept: Record<OutputStream, number> = { stdout: 0, stderr: 0 };
    const keep = (stream: OutputStream) => (data: Buffer) => {
      const room = maxExecSyncOutput - kept[stream];
      if (room <= 0) return;
      const part = data.length > room ? data.subarray(0, room) : data;
      out[stream].push(part);
      kept[stream] += part.length;
    };
    proc.on('stdout', keep('stdout'));
    proc.on('stderr', keep('stderr'));
    const exit = await proc.exited;
    return { ...exit, stdout: Buffer.concat(out.stdout), stderr: Buffer.concat(out.stderr) };
  }

  /** shutdown asks the guest to power off; qemu exits soon after the answer. */
  async shutdown(): Promise<void> {
    await this.request(frameType.shutdown, []);
  }

  /** close ends the connection (the guest keeps running) and resolves once it is closed. */
  async close(): Promise<void> {
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), 2_000);
    await this.gone;
    clearTimeout(timer);
  }

  /** @internal send writes one frame (GuestExec uses it for stdin and resize). */
  send(type: FrameType, id: number, payload?: Buffer): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(encodeFrame(type, id, payload));
  }

  /** @internal request sends a request and resolves with the fields of its answer. */
  request(
    type: FrameType,
    fields: Field[],
    timeoutMs = this.requestTimeoutMs,
    id = this.takeId(),
  ): Promise<Field[]> {
    if (this.closed || this.socket.destroyed) {
      return Promise.reject(closedError(this.closed));
    }
    const payload = encodeFields(fields);
    if (payload.length > maxPayload) {
      return Promise.reject(
        new SkiffError('Invalid', `request of ${payload.length} bytes is too large for the guest`),
      );
    }
    return new Promise<Field[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SkiffError('Timeout', `guest agent did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.write(encodeFrame(type, id, payload));
    });
  }

  private takeId(): number {
    const id = this.nextId;
    this.nextId = id >= 0xffffffff ? 1 : id + 1;
    return id;
  }

  private dispatch(frame: Frame): void {
    switch (frame.type) {
      case frameType.response: {
        const pending = this.pending.get(frame.id);
        if (!pending) return;
        this.pending.delete(frame.id);
        clearTimeout(pending.timer);
        const fields = decodeFields(frame.payload);
        if (fieldValue(fields, 'status') === 'ok') pending.resolve(fields);
        else pending.reject(guestError(fields));
        return;
      }
      case frameType.stdout:
      case frameType.stderr: {
        const stream: OutputStream = frame.type === frameType.stdout ? 'stdout' : 'stderr';
        const container = this.containerByProcess.get(frame.id);
        if (container !== undefined) this.emit('output', container, stream, frame.payload);
        else this.processes.get(frame.id)?.output(stream, frame.payload);
        return;
      }
      case frameType.exit: {
        const fields = decodeFields(frame.payload);
        const signal = fieldValue(fields, 'signal');
        const exit: ProcessExit =
          signal !== undefined
            ? { exitCode: 128 + Number(signal), signal: Number(signal), timedOut: false }
            : { exitCode: Number(fieldValue(fields, 'exit') ?? 255), timedOut: false };
        if (fieldValue(fields, 'timeout') === '1') exit.timedOut = true;
        const container = this.containerByProcess.get(frame.id) ?? fieldValue(fields, 'container');
        if (container !== undefined && !this.processes.has(frame.id)) {
          this.emit('exit', container, exit);
        } else {
          this.processes.get(frame.id)?.exit(exit);
        }
        return;
      }
      default:
      // Frames of a newer agent that this host does not know are ignored.
    }
  }

  private shut(err: Error | undefined): void {
    if (this.closed) return;
    this.closed = err ?? new Error('closed');
    const reason = closedError(err);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(reason);
    }
    this.pending.clear();
    for (const sink of this.processes.values()) sink.fail(reason);
    this.processes.clear();
    this.emit('close', err);
  }
}
