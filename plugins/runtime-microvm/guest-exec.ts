// One exec's handle and the helpers the channel and its execs share: the fields of a
// process, signal names, and the errors a guest answer or a lost connection turns into.
import { EventEmitter } from 'node:events';
import { constants } from 'node:os';
import { type ErrorCode, errorCatalogue, SkiffError } from '../../sdk/errors.ts';
import {
  encodeFields,
  type Field,
  type FrameType,
  fieldValue,
  frameType,
  maxPayload,
} from './guest/frames.ts';
import type { GuestProcessOptions, OutputStream, ProcessExit } from './guest/specs.ts';

/** ExecChannel is what an exec needs of its channel: to send frames and make requests. */
export interface ExecChannel {
  send(type: FrameType, id: number, payload?: Buffer): void;
  request(type: FrameType, fields: Field[]): Promise<Field[]>;
}

const responseCodes = new Set<string>([
  'Invalid',
  'NotFound',
  'AlreadyExists',
  'FailedPrecondition',
  'InternalError',
]);

/** ProcessSink receives a guest process's output and end. */
export interface ProcessSink {
  output(stream: OutputStream, data: Buffer): void;
  exit(exit: ProcessExit): void;
  fail(err: Error): void;
}

/** GuestExecEvents are the events of one exec. */
export interface GuestExecEvents {
  stdout: [data: Buffer];
  stderr: [data: Buffer];
}

/**
 * GuestExec is a process running in a container through EXEC. Attach listeners before the
 * current tick ends (exec() returns synchronously, so nothing is missed); started resolves
 * once the guest runs it, exited when it ended (both reject if the guest refused it).
 */
export class GuestExec extends EventEmitter<GuestExecEvents> {
  readonly started: Promise<void>;
  readonly exited: Promise<ProcessExit>;

  /** @internal the channel builds execs. */
  constructor(
    readonly id: number,
    private readonly channel: ExecChannel,
    started: Promise<void>,
    exited: Promise<ProcessExit>,
  ) {
    super();
    this.started = started;
    this.exited = exited;
    // Callers may await only one of the two; the other must not become an unhandled rejection.
    started.catch(() => {});
    exited.catch(() => {});
  }

  /** write sends bytes to the process's stdin (it needs `stdin: true`). */
  write(data: Buffer | string): void {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let at = 0; at < buf.length; at += maxPayload) {
      this.channel.send(frameType.stdin, this.id, buf.subarray(at, at + maxPayload));
    }
  }

  /** closeStdin ends the process's stdin. */
  closeStdin(): void {
    this.channel.send(frameType.stdin, this.id);
  }

  /** resize changes the size of the process's terminal. */
  resize(rows: number, cols: number): void {
    this.channel.send(
      frameType.resize,
      this.id,
      encodeFields([
        ['rows', String(rows)],
        ['cols', String(cols)],
      ]),
    );
  }

  /** signal sends a signal to the process; one that already ended is not an error. */
  async signal(signal: number | NodeJS.Signals): Promise<void> {
    await this.channel.request(frameType.signal, [
      ['process', String(this.id)],
      ['signal', String(signalNumber(signal))],
    ]);
  }
}

/** processFields turns a process's options into the fields of an EXEC or CREATE request. */
export function processFields(spec: GuestProcessOptions): Field[] {
  if (spec.argv.length === 0) throw new SkiffError('Invalid', 'a guest process needs an argv');
  const fields: Field[] = spec.argv.map((a) => ['arg', a] as const);
  for (const e of spec.env ?? []) fields.push(['env', e]);
  if (spec.cwd) fields.push(['cwd', spec.cwd]);
  if (spec.stdin) fields.push(['stdin', '1']);
  if (spec.tty) fields.push(['tty', '1']);
  if (spec.rows) fields.push(['rows', String(spec.rows)]);
  if (spec.cols) fields.push(['cols', String(spec.cols)]);
  if (spec.uid !== undefined) fields.push(['uid', String(spec.uid)]);
  if (spec.gid !== undefined) fields.push(['gid', String(spec.gid)]);
  for (const g of spec.groups ?? []) fields.push(['group', String(g)]);
  return fields;
}

/** signalNumber turns a signal name into its number here; an unknown name is Invalid. */
export function signalNumber(signal: number | NodeJS.Signals): number {
  if (typeof signal === 'number') return signal;
  const n = constants.signals[signal];
  if (n === undefined) throw new SkiffError('Invalid', `unknown signal ${signal}`);
  return n;
}

/** guestError turns a guest's refusal into a SkiffError with the code it chose. */
export function guestError(fields: readonly Field[]): SkiffError {
  const code = fieldValue(fields, 'code') ?? 'InternalError';
  const known = responseCodes.has(code) && code in errorCatalogue;
  return new SkiffError(
    (known ? code : 'InternalError') as ErrorCode,
    `guest agent: ${fieldValue(fields, 'message') ?? 'request failed'}`,
  );
}

/** closedError is the ServiceUnavailable every request gets once the connection is gone. */
export function closedError(err: Error | undefined): SkiffError {
  return new SkiffError(
    'ServiceUnavailable',
    err && err.message !== 'closed'
      ? `guest channel broke: ${err.message}`
      : 'guest channel is closed',
    err ? { cause: err } : {},
  );
}
