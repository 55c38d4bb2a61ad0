/**
 * The frame format of the host↔guest protocol (PROTOCOL.md): u32 length, u8 type, u32 id,
 * payload; control payloads are `key=value` lines with `\\` and `\n` escaped.
 */

/** frameType numbers each kind of frame as the guest agent does. */
export const frameType = {
  hello: 0x01,
  create: 0x02,
  signal: 0x03,
  exec: 0x04,
  remove: 0x05,
  list: 0x06,
  shutdown: 0x07,
  stats: 0x08,
  update: 0x09,
  stdin: 0x10,
  resize: 0x11,
  response: 0x20,
  stdout: 0x21,
  stderr: 0x22,
  exit: 0x23,
} as const;

/** FrameType is one of the numbers in frameType. */
export type FrameType = (typeof frameType)[keyof typeof frameType];

/** maxPayload is the largest payload either side sends or accepts. */
export const maxPayload = 1024 * 1024;

/** headerSize is the bytes before the payload: length, type and id. */
export const headerSize = 9;

/** Frame is one decoded frame. */
export interface Frame {
  type: number;
  id: number;
  payload: Buffer;
}

/** Field is one `key=value` line of a control payload; keys may repeat. */
export type Field = readonly [key: string, value: string];

/** encodeFrame lays out one frame; it throws on a payload past maxPayload (a caller fault). */
export function encodeFrame(
  type: FrameType,
  id: number,
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  if (payload.length > maxPayload) {
    throw new RangeError(`frame payload of ${payload.length} bytes exceeds ${maxPayload}`);
  }
  const head = Buffer.alloc(headerSize);
  head.writeUInt32BE(payload.length + 5, 0);
  head.writeUInt8(type, 4);
  head.writeUInt32BE(id >>> 0, 5);
  return Buffer.concat([head, payload]);
}

/**
 * FrameReader cuts a byte stream into frames. push() returns the complete frames so far; a
 * length outside the protocol's bounds is a broken stream and throws.
 */
export class FrameReader {
  // One buffer that grows by doubling: byte-sized pushes stay linear in the bytes received.
  private buf = Buffer.alloc(0);
  private len = 0;

  push(chunk: Buffer): Frame[] {
    if (this.len + chunk.length > this.buf.length) {
      const grown = Buffer.alloc(Math.max(this.len + chunk.length, this.buf.length * 2, 4096));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    chunk.copy(this.buf, this.len);
    this.len += chunk.length;
    const frames: Frame[] = [];
    let at = 0;
    while (this.len - at >= 4) {
      const length = this.buf.readUInt32BE(at);
      if (length < 5 || length - 5 > maxPayload) {
        throw new RangeError(`bad frame length ${length}`);
      }
      if (this.len - at < headerSize || this.len - at < 4 + length) break;
      frames.push({
        type: this.buf.readUInt8(at + 4),
        id: this.buf.readUInt32BE(at + 5),
        payload: Buffer.from(this.buf.subarray(at + headerSize, at + 4 + length)),
      });
      at += 4 + length;
    }
    if (at > 0) {
      this.buf.copy(this.buf, 0, at, this.len);
      this.len -= at;
    }
    return frames;
  }
}

const keyPattern = /^[a-z][a-z0-9.]*$/;

/** encodeFields writes `key=value` lines; a bad key or a NUL in a value throws (caller fault). */
export function encodeFields(fields: readonly Field[]): Buffer {
  let text = '';
  for (const [key, value] of fields) {
    if (!keyPattern.test(key)) throw new RangeError(`bad field key ${JSON.stringify(key)}`);
    if (value.includes('\0')) throw new RangeError(`field ${key} holds a NUL byte`);
    text += `${key}=${value.replaceAll('\\', '\\\\').replaceAll('\n', '\\n')}\n`;
  }
  return Buffer.from(text, 'utf8');
}

/** decodeFields reads `key=value` lines back; lines without `=` are skipped. */
export function decodeFields(payload: Buffer): Field[] {
  const fields: Field[] = [];
  for (const line of payload.toString('utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const raw = line.slice(eq + 1);
    const value = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    fields.push([line.slice(0, eq), value]);
  }
  return fields;
}

/** fieldValue is the last value of a key, or undefined. */
export function fieldValue(fields: readonly Field[], key: string): string | undefined {
  let found: string | undefined;
  for (const [k, v] of fields) if (k === key) found = v;
  return found;
}
