import { describe, expect, it } from 'vitest';
import {
  decodeFields,
  encodeFields,
  encodeFrame,
  FrameReader,
  fieldValue,
  frameType,
  maxPayload,
} from './frames.ts';

describe('frames', () => {
  it('lays a frame out as length, type, id, payload (big-endian)', () => {
    const frame = encodeFrame(frameType.exec, 0x01020304, Buffer.from('ab'));
    expect([...frame]).toEqual([0, 0, 0, 7, 0x04, 1, 2, 3, 4, 0x61, 0x62]);
  });

  it('cuts frames out of a stream split at every byte', () => {
    const stream = Buffer.concat([
      encodeFrame(frameType.response, 1, Buffer.from('status=ok\n')),
      encodeFrame(frameType.stdout, 2),
      encodeFrame(frameType.stderr, 3, Buffer.alloc(70_000, 0x41)),
    ]);
    const reader = new FrameReader();
    const got = [];
    for (let i = 0; i < stream.length; i += 1) got.push(...reader.push(stream.subarray(i, i + 1)));
    expect(got.map((f) => [f.type, f.id, f.payload.length])).toEqual([
      [frameType.response, 1, 10],
      [frameType.stdout, 2, 0],
      [frameType.stderr, 3, 70_000],
    ]);
  });

  it.each([
    ['shorter than a header', 4],
    ['past the payload limit', maxPayload + 6],
  ])('refuses a length %s', (_, length) => {
    const head = Buffer.alloc(9);
    head.writeUInt32BE(length, 0);
    expect(() => new FrameReader().push(head)).toThrow(/bad frame length/);
  });

  it('refuses to encode a payload past the limit', () => {
    expect(() => encodeFrame(frameType.stdin, 1, Buffer.alloc(maxPayload + 1))).toThrow(RangeError);
  });

  it.each([
    ['plain', 'echo hi'],
    ['newline', 'echo hi\necho there'],
    ['backslash before n', 'printf "a\\nb"'],
    ['trailing backslash', 'x\\'],
    ['equals sign', 'A=B=C'],
    ['empty', ''],
    ['utf-8', 'grüße ✓'],
  ])('round-trips a value with %s', (_, value) => {
    const payload = encodeFields([
      ['arg', value],
      ['arg', 'second'],
    ]);
    expect(payload.toString()).not.toMatch(/\n(?!$)[^=]*\n/);
    expect(decodeFields(payload)).toEqual([
      ['arg', value],
      ['arg', 'second'],
    ]);
  });

  it('keeps the order of repeated keys and reads the last value of a key', () => {
    const fields = decodeFields(Buffer.from('env=A=1\nenv=B=2\nstatus=error\nstatus=ok\njunk\n'));
    expect(fields.filter(([k]) => k === 'env').map(([, v]) => v)).toEqual(['A=1', 'B=2']);
    expect(fieldValue(fields, 'status')).toBe('ok');
    expect(fieldValue(fields, 'missing')).toBeUndefined();
  });

  it.each([
    ['an upper-case key', 'Arg', 'x'],
    ['a key with =', 'a=b', 'x'],
    ['a NUL in a value', 'arg', 'a\0b'],
  ])('refuses %s', (_, key, value) => {
    expect(() => encodeFields([[key, value]])).toThrow(RangeError);
  });
});
