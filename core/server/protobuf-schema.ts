import { join } from 'node:path';
import protobuf from 'protobufjs';

/**
 * The Kubernetes message definitions under proto/k8s/, loaded with protobufjs, and the walk
 * that finds wire fields those definitions do not name (protobufjs drops them silently).
 */

const protoDir = join(import.meta.dirname, '..', '..', 'proto', 'k8s');
const files = [
  'apimachinery/runtime.proto',
  'api/core-v1.proto',
  'api/apps-v1.proto',
  'api/batch-v1.proto',
  'api/rbac-v1.proto',
  'api/policy-v1.proto',
  'api/scheduling-v1.proto',
  'api/networking-v1.proto',
  'api/autoscaling-v1.proto',
];

let root: protobuf.Root | undefined;

/** k8sRoot is the protobufjs root holding every message under proto/k8s/, loaded once. */
export function k8sRoot(): protobuf.Root {
  if (root !== undefined) return root;
  const loaded = new protobuf.Root();
  // Imports name files relative to proto/k8s/, like Kubernetes' own import paths.
  loaded.resolvePath = (_origin, target) =>
    target.startsWith('/') ? target : join(protoDir, target);
  loaded.loadSync(files, { keepCase: true });
  loaded.resolveAll();
  root = loaded;
  return loaded;
}

/** unknownFields lists the dotted paths of wire fields in buf that type does not define. */
export function unknownFields(buf: Uint8Array, type: protobuf.Type, path = ''): string[] {
  const reader = protobuf.Reader.create(buf);
  const found: string[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const id = tag >>> 3;
    const wire = tag & 7;
    const field = type.fieldsById[id];
    if (field === undefined) {
      found.push(`${path}${path === '' ? '' : '.'}#${id}`);
      reader.skipType(wire);
      continue;
    }
    const here = `${path}${path === '' ? '' : '.'}${field.name}`;
    const nested = field.resolvedType;
    if (wire !== 2 || !(nested instanceof protobuf.Type)) {
      reader.skipType(wire);
      continue;
    }
    const bytes = reader.bytes();
    if (field instanceof protobuf.MapField) found.push(...unknownInMapEntry(bytes, nested, here));
    else found.push(...unknownFields(bytes, nested, here));
  }
  return found;
}

// A map entry is a small message: key = 1, value = 2 (here a message, since resolvedType is one).
function unknownInMapEntry(buf: Uint8Array, value: protobuf.Type, path: string): string[] {
  const reader = protobuf.Reader.create(buf);
  const found: string[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const id = tag >>> 3;
    if (id === 2 && (tag & 7) === 2) found.push(...unknownFields(reader.bytes(), value, path));
    else if (id === 1) reader.skipType(tag & 7);
    else {
      found.push(`${path}.#${id}`);
      reader.skipType(tag & 7);
    }
  }
  return found;
}
