import { describe, expect, it } from 'vitest';
import { decodeCgroupMetrics } from './stats.ts';

// Hand-encoded protobuf: field numbers from proto/containerd/cgroups.proto.
const varint = (n: number): number[] => {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
};
const field = (n: number, value: number) => [...varint(n << 3), ...varint(value)];
const nested = (n: number, body: number[]) => [
  ...varint((n << 3) | 2),
  ...varint(body.length),
  ...body,
];

describe('decodeCgroupMetrics', () => {
  it.each([
    { name: 'empty', bytes: [], cpu: 0n, usage: 0n, ws: 0n },
    {
      name: 'cpu and memory',
      bytes: [
        ...nested(3, nested(1, field(1, 123_456_789))),
        ...nested(4, [...field(30, 1_000), ...nested(33, field(2, 5_000))]),
      ],
      cpu: 123_456_789n,
      usage: 5_000n,
      ws: 4_000n,
    },
    {
      name: 'inactive file above usage',
      bytes: nested(4, [...field(30, 9_000), ...nested(33, field(2, 5_000))]),
      cpu: 0n,
      usage: 5_000n,
      ws: 0n,
    },
  ])('reads $name', ({ bytes, cpu, usage, ws }) => {
    expect(decodeCgroupMetrics(Buffer.from(bytes))).toEqual({
      cpuNanos: cpu,
      memoryUsage: usage,
      workingSet: ws,
    });
  });
});
