/** Fields holds a decoded protobuf message: each field number's values in order. */
export type Fields = Map<number, (bigint | Buffer)[]>;

/**
 * decodeFields reads a protobuf message without its schema: varints and length-delimited
 * values (bytes, strings, nested messages); fixed 32- and 64-bit fields are skipped. The
 * adapter uses it for the few Any payloads it reads (cgroup metrics, task exit events).
 */
export function decodeFields(buf: Buffer): Fields {
  const out: Fields = new Map();
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error('truncated varint');
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    let value: bigint | Buffer;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const len = Number(varint());
      value = buf.subarray(i, i + len);
      i += len;
    } else if (wire === 1) {
      i += 8;
      continue;
    } else if (wire === 5) {
      i += 4;
      continue;
    } else throw new Error(`unsupported wire type ${wire}`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

/** stringField reads a string field ('' when absent). */
export function stringField(fields: Fields, n: number): string {
  const v = fields.get(n)?.[0];
  return Buffer.isBuffer(v) ? v.toString('utf8') : '';
}
