import { SkiffError } from '../../sdk/errors.ts';

/**
 * kubectl's typed commands (`create secret`, `create configmap`, `create namespace`, ...) send
 * Kubernetes' protobuf encoding: the bytes `k8s\0`, then a runtime.Unknown message whose
 * `raw` field holds the object. This decodes that envelope and the kinds those commands send,
 * field numbers as in Kubernetes' generated.proto files, into the JSON shape.
 */

/** protobufType is the media type of Kubernetes' protobuf encoding. */
export const protobufType = 'application/vnd.kubernetes.protobuf';

type Field =
  | [name: string, type: 'string' | 'bytes' | 'int' | 'bool']
  | [name: string, type: 'message' | 'repeated', message: Message]
  | [name: string, type: 'strings']
  | [name: string, type: 'map', value: 'string' | 'bytes'];
type Message = Record<number, Field>;

const Time: Message = { 1: ['seconds', 'int'], 2: ['nanos', 'int'] };
const OwnerReference: Message = {
  1: ['kind', 'string'],
  3: ['name', 'string'],
  4: ['uid', 'string'],
  5: ['apiVersion', 'string'],
  6: ['controller', 'bool'],
  7: ['blockOwnerDeletion', 'bool'],
};
const ObjectMeta: Message = {
  1: ['name', 'string'],
  2: ['generateName', 'string'],
  3: ['namespace', 'string'],
  5: ['uid', 'string'],
  6: ['resourceVersion', 'string'],
  7: ['generation', 'int'],
  8: ['creationTimestamp', 'message', Time],
  11: ['labels', 'map', 'string'],
  12: ['annotations', 'map', 'string'],
  13: ['ownerReferences', 'repeated', OwnerReference],
  14: ['finalizers', 'strings'],
};
const LocalObjectReference: Message = { 1: ['name', 'string'] };

// Messages of the kinds kubectl's generators create, by kind.
const kinds: Record<string, Message> = {
  ConfigMap: {
    1: ['metadata', 'message', ObjectMeta],
    2: ['data', 'map', 'string'],
    3: ['binaryData', 'map', 'bytes'],
    4: ['immutable', 'bool'],
  },
  Secret: {
    1: ['metadata', 'message', ObjectMeta],
    2: ['data', 'map', 'bytes'],
    3: ['type', 'string'],
    4: ['stringData', 'map', 'string'],
    5: ['immutable', 'bool'],
  },
  Namespace: {
    1: ['metadata', 'message', ObjectMeta],
    2: ['spec', 'message', { 1: ['finalizers', 'strings'] }],
  },
  ServiceAccount: {
    1: ['metadata', 'message', ObjectMeta],
    3: ['imagePullSecrets', 'repeated', LocalObjectReference],
    4: ['automountServiceAccountToken', 'bool'],
  },
};

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  done() {
    return this.pos >= this.buf.length;
  }
  varint(): number {
    let result = 0;
    let shift = 1;
    for (;;) {
      const b = this.buf[this.pos++];
      if (b === undefined) throw bad('truncated varint');
      result += (b & 0x7f) * shift;
      if ((b & 0x80) === 0) return result;
      shift *= 128;
    }
  }
  bytes(): Uint8Array {
    const len = this.varint();
    if (this.pos + len > this.buf.length) throw bad('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 2) this.bytes();
    else if (wire === 1) this.pos += 8;
    else if (wire === 5) this.pos += 4;
    else throw bad(`unsupported wire type ${wire}`);
  }
}

const bad = (why: string) =>
  new SkiffError('BadRequest', `the protobuf body of the request cannot be decoded: ${why}`);
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

function decodeMessage(buf: Uint8Array, message: Message): Record<string, unknown> {
  const r = new Reader(buf);
  const out: Record<string, unknown> = {};
  while (!r.done()) {
    const tag = r.varint();
    const field = message[Math.floor(tag / 8)];
    const wire = tag & 7;
    if (field === undefined) {
      r.skip(wire);
      continue;
    }
    const [name, type] = field;
    switch (type) {
      case 'string': {
        // Go writes empty strings too; JSON omits them, and so does the decoded object.
        const value = text(r.bytes());
        if (value !== '') out[name] = value;
        break;
      }
      case 'bytes':
        out[name] = Buffer.from(r.bytes()).toString('base64');
        break;
      case 'int':
        out[name] = r.varint();
        break;
      case 'bool':
        out[name] = r.varint() !== 0;
        break;
      case 'strings':
        out[name] = [...((out[name] as string[]) ?? []), text(r.bytes())];
        break;
      case 'message':
        out[name] = decodeMessage(r.bytes(), field[2] as Message);
        break;
      case 'repeated':
        out[name] = [
          ...((out[name] as unknown[]) ?? []),
          decodeMessage(r.bytes(), field[2] as Message),
        ];
        break;
      case 'map': {
        const entry = decodeMessage(r.bytes(), {
          1: ['key', 'string'],
          2: ['value', field[2] as 'string'],
        });
        out[name] = { ...(out[name] as object), [String(entry.key ?? '')]: entry.value ?? '' };
        break;
      }
    }
  }
  return out;
}

function timeToJson(value: unknown): unknown {
  const t = value as { seconds?: number } | undefined;
  return t?.seconds === undefined
    ? undefined
    : new Date(t.seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** decodeProtobuf turns a Kubernetes protobuf body into the JSON object it encodes. */
export function decodeProtobuf(body: Uint8Array): Record<string, unknown> {
  const magic = [0x6b, 0x38, 0x73, 0x00];
  if (body.length < 4 || magic.some((b, i) => body[i] !== b))
    throw bad('the k8s\\0 prefix is missing');
  const unknown = decodeMessage(body.subarray(4), {
    1: ['typeMeta', 'message', { 1: ['apiVersion', 'string'], 2: ['kind', 'string'] }],
    2: ['raw', 'bytes'],
  });
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const message = kinds[typeMeta.kind ?? ''];
  if (message === undefined)
    throw new SkiffError(
      'UnsupportedMediaType',
      `the server decodes protobuf for ${Object.keys(kinds).join(', ')} only, not ${typeMeta.kind ?? 'this kind'}; send application/json`,
    );
  const raw = Buffer.from(String(unknown.raw ?? ''), 'base64');
  const object = decodeMessage(raw, message);
  const meta = object.metadata as Record<string, unknown> | undefined;
  if (meta !== undefined) {
    const created = timeToJson(meta.creationTimestamp);
    if (created === undefined) delete meta.creationTimestamp;
    else meta.creationTimestamp = created;
  }
  return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, ...object };
}
