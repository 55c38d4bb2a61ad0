import { describe, expect, it } from 'vitest';
import { isSkiffError } from '../../sdk/errors.ts';
import { decodeProtobuf } from './protobuf.ts';

// A tiny encoder for the test inputs: field tags, varints and length-delimited fields.
const varint = (n: number): number[] => {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
};
const bytes = (field: number, data: number[] | string): number[] => {
  const b = typeof data === 'string' ? [...Buffer.from(data)] : data;
  return [...varint(field * 8 + 2), ...varint(b.length), ...b];
};
const int = (field: number, n: number): number[] => [...varint(field * 8), ...varint(n)];
const entry = (field: number, key: string, value: string) =>
  bytes(field, [...bytes(1, key), ...bytes(2, value)]);
const envelope = (apiVersion: string, kind: string, raw: number[]) =>
  new Uint8Array([
    0x6b,
    0x38,
    0x73,
    0x00,
    ...bytes(1, [...bytes(1, apiVersion), ...bytes(2, kind)]),
    ...bytes(2, raw),
  ]);

describe('decodeProtobuf', () => {
  it.each([
    {
      what: 'a ConfigMap from kubectl create configmap',
      body: envelope('v1', 'ConfigMap', [
        ...bytes(1, [...bytes(1, 'settings'), ...bytes(2, ''), ...entry(11, 'app', 'web')]),
        ...entry(2, 'mode', 'fast'),
        ...entry(2, 'size', '3'),
      ]),
      want: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings', labels: { app: 'web' } },
        data: { mode: 'fast', size: '3' },
      },
    },
    {
      what: 'a Secret, whose data values are bytes (base64 in JSON)',
      body: envelope('v1', 'Secret', [
        ...bytes(1, bytes(1, 'creds')),
        ...entry(2, 'password', 'hunter2'),
        ...bytes(3, 'Opaque'),
      ]),
      want: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'creds' },
        data: { password: Buffer.from('hunter2').toString('base64') },
        type: 'Opaque',
      },
    },
    {
      what: 'a Namespace with a creation time',
      body: envelope('v1', 'Namespace', [
        ...bytes(1, [...bytes(1, 'team'), ...bytes(8, int(1, 1_700_000_000))]),
      ]),
      want: {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'team', creationTimestamp: '2023-11-14T22:13:20Z' },
      },
    },
    {
      what: 'a PodDisruptionBudget whose maxUnavailable is a number',
      body: envelope('policy/v1', 'PodDisruptionBudget', [
        ...bytes(1, bytes(1, 'pdb')),
        ...bytes(2, bytes(3, [...int(1, 0), ...int(2, 1)])),
      ]),
      want: {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'pdb' },
        spec: { maxUnavailable: 1 },
      },
    },
  ])('decodes $what', ({ body, want }) => {
    expect(decodeProtobuf(body)).toEqual(want);
  });

  it.each([
    { what: 'no k8s prefix', body: new Uint8Array([1, 2, 3, 4, 5]), code: 'BadRequest' },
    {
      what: 'a truncated field',
      body: new Uint8Array([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x10, 0x01]),
      code: 'BadRequest',
    },
    {
      what: 'a kind it does not decode',
      body: envelope('apps/v1', 'StatefulSet', []),
      code: 'UnsupportedMediaType',
    },
    {
      what: 'a field its definitions lack at the top level',
      body: envelope('v1', 'Namespace', [...bytes(1, bytes(1, 'team')), ...int(9, 5)]),
      code: 'UnsupportedMediaType',
    },
    {
      what: 'a liveness probe (a Container field it leaves out) deep in a Deployment',
      body: envelope('apps/v1', 'Deployment', [
        ...bytes(1, bytes(1, 'web')),
        ...bytes(2, bytes(3, bytes(2, bytes(2, [...bytes(1, 'c'), ...bytes(10, [])])))),
      ]),
      code: 'UnsupportedMediaType',
    },
    {
      what: 'an unknown field inside a map value (a quota Quantity)',
      body: envelope('v1', 'ResourceQuota', [
        ...bytes(2, bytes(1, [...bytes(1, 'cpu'), ...bytes(2, [...bytes(1, '1'), ...int(2, 3)])])),
      ]),
      code: 'UnsupportedMediaType',
    },
  ])('refuses $what with $code', ({ body, code }) => {
    let caught: unknown;
    try {
      decodeProtobuf(body);
    } catch (err) {
      caught = err;
    }
    expect(isSkiffError(caught)).toBe(true);
    expect((caught as { code: string }).code).toBe(code);
    if (code === 'UnsupportedMediaType')
      expect((caught as Error).message).toMatch(/send application\/json$/);
  });

  it('names the kind and the unknown field when it refuses one', () => {
    const body = envelope('v1', 'Namespace', [...bytes(1, bytes(1, 'team')), ...int(9, 5)]);
    expect(() => decodeProtobuf(body)).toThrow(/this Namespace from protobuf \(#9\)/);
  });
});
