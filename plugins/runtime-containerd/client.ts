import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { type ErrorCode, SkiffError } from '../../sdk/errors.ts';

const protoDir = fileURLToPath(new URL('../../proto/containerd/', import.meta.url));

const serviceFiles = {
  version: ['version.proto', 'containerd.services.version.v1.Version'],
  namespaces: ['namespaces.proto', 'containerd.services.namespaces.v1.Namespaces'],
  leases: ['leases.proto', 'containerd.services.leases.v1.Leases'],
  content: ['content.proto', 'containerd.services.content.v1.Content'],
  diff: ['diff.proto', 'containerd.services.diff.v1.Diff'],
  snapshots: ['snapshots.proto', 'containerd.services.snapshots.v1.Snapshots'],
  images: ['images.proto', 'containerd.services.images.v1.Images'],
  containers: ['containers.proto', 'containerd.services.containers.v1.Containers'],
  tasks: ['tasks.proto', 'containerd.services.tasks.v1.Tasks'],
  events: ['events.proto', 'containerd.services.events.v1.Events'],
  introspection: ['introspection.proto', 'containerd.services.introspection.v1.Introspection'],
} as const;

/** ContainerdService names a containerd gRPC service the adapter calls. */
export type ContainerdService = keyof typeof serviceFiles;

// Messages cross as plain objects: camelCase fields, 64-bit integers as numbers (sizes stay
// far below 2^53), enums as their names, bytes as Buffers.
const loaderOptions: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [protoDir],
};

type Message = Record<string, unknown>;
type ClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => grpc.Client;

let constructors: Record<ContainerdService, ClientConstructor> | undefined;

function loadConstructors(): Record<ContainerdService, ClientConstructor> {
  if (constructors) return constructors;
  const files = Object.values(serviceFiles).map(([file]) => file);
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(files, loaderOptions));
  const lookup = (path: string): ClientConstructor => {
    let node: unknown = pkg;
    for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
    if (typeof node !== 'function') throw new Error(`containerd proto: ${path} is not a service`);
    return node as ClientConstructor;
  };
  constructors = Object.fromEntries(
    Object.entries(serviceFiles).map(([name, [, path]]) => [name, lookup(path)]),
  ) as Record<ContainerdService, ClientConstructor>;
  return constructors;
}

/**
 * AnyMessage is a google.protobuf.Any as the loader wants it: protobufjs keeps the field name
 * `type_url` of its built-in definition whatever the case option says.
 */
export interface AnyMessage {
  type_url: string;
  value: Buffer;
}

/** anyMessage wraps JSON (an OCI spec or process) in a google.protobuf.Any with its type URL. */
export function anyMessage(typeUrl: string, value: unknown): AnyMessage {
  return { type_url: typeUrl, value: Buffer.from(JSON.stringify(value)) };
}

/** specTypeUrl is the Any type URL containerd registers for an OCI runtime spec. */
export const specTypeUrl = 'types.containerd.io/opencontainers/runtime-spec/1/Spec';
/** resourcesTypeUrl is the Any type URL containerd registers for OCI Linux resources (task Update). */
export const resourcesTypeUrl = 'types.containerd.io/opencontainers/runtime-spec/1/LinuxResources';
/** processTypeUrl is the Any type URL containerd registers for an OCI process (task exec). */
export const processTypeUrl = 'types.containerd.io/opencontainers/runtime-spec/1/Process';

const statusToError: Partial<Record<grpc.status, ErrorCode>> = {
  [grpc.status.NOT_FOUND]: 'NotFound',
  [grpc.status.ALREADY_EXISTS]: 'AlreadyExists',
  [grpc.status.INVALID_ARGUMENT]: 'Invalid',
  [grpc.status.FAILED_PRECONDITION]: 'FailedPrecondition',
  [grpc.status.UNAVAILABLE]: 'ServiceUnavailable',
  [grpc.status.DEADLINE_EXCEEDED]: 'Timeout',
};

/** grpcCodeOf returns the gRPC status code of a failed containerd call, if it has one. */
export function grpcCodeOf(err: unknown): grpc.status | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

/** isNotFound tells whether a containerd call failed because its object does not exist. */
export function isNotFound(err: unknown): boolean {
  return grpcCodeOf(err) === grpc.status.NOT_FOUND;
}

/** isAlreadyExists tells whether a containerd call failed because its object exists. */
export function isAlreadyExists(err: unknown): boolean {
  return grpcCodeOf(err) === grpc.status.ALREADY_EXISTS;
}

/** containerdError turns a failed containerd call into the matching SkiffError. */
export function containerdError(err: unknown, what: string): SkiffError {
  const code = grpcCodeOf(err);
  const details = (err as { details?: string })?.details ?? String(err);
  return new SkiffError(
    (code !== undefined && statusToError[code]) || 'InternalError',
    `${what}: ${details}`,
  );
}

/**
 * ContainerdClient calls containerd's own gRPC services over its socket, every call in one
 * containerd namespace (and, when given, under one lease).
 */
export class ContainerdClient {
  readonly namespace: string;
  readonly socket: string;
  readonly #clients = new Map<ContainerdService, grpc.Client>();
  readonly #channelOptions: grpc.ClientOptions;

  constructor(socket: string, namespace: string) {
    this.socket = socket;
    this.namespace = namespace;
    this.#channelOptions = {
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
    };
  }

  #client(service: ContainerdService): grpc.Client {
    let client = this.#clients.get(service);
    if (!client) {
      const Ctor = loadConstructors()[service];
      client = new Ctor(
        `unix://${this.socket}`,
        grpc.credentials.createInsecure(),
        this.#channelOptions,
      );
      this.#clients.set(service, client);
    }
    return client;
  }

  /** metadata carries the namespace (and a lease) the way containerd reads them. */
  metadata(lease?: string): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set('containerd-namespace', this.namespace);
    if (lease) md.set('containerd-lease', lease);
    return md;
  }

  /** call makes one unary call; a failure rejects with the gRPC error (code, details). */
  call<T = Message>(
    service: ContainerdService,
    method: string,
    request: Message,
    options: { lease?: string; timeoutMs?: number } = {},
  ): Promise<T> {
    const client = this.#client(service) as unknown as Record<
      string,
      (
        req: Message,
        md: grpc.Metadata,
        opts: grpc.CallOptions,
        cb: (err: grpc.ServiceError | null, res: T) => void,
      ) => void
    >;
    const fn = client[method];
    if (typeof fn !== 'function') throw new Error(`containerd ${service} has no method ${method}`);
    const deadline = new Date(Date.now() + (options.timeoutMs ?? 120_000));
    return new Promise<T>((resolve, reject) => {
      fn.call(client, request, this.metadata(options.lease), { deadline }, (err, res) =>
        err ? reject(err) : resolve(res),
      );
    });
  }

  /** serverStream starts a call whose answer is a stream (List, Read, Subscribe). */
  serverStream(
    service: ContainerdService,
    method: string,
    request: Message,
  ): grpc.ClientReadableStream<Message> {
    const client = this.#client(service) as unknown as Record<
      string,
      (req: Message, md: grpc.Metadata) => grpc.ClientReadableStream<Message>
    >;
    const fn = client[method];
    if (typeof fn !== 'function') throw new Error(`containerd ${service} has no method ${method}`);
    return fn.call(client, request, this.metadata());
  }

  /** collect reads a server stream to its end. */
  async collect<T = Message>(service: ContainerdService, method: string, request: Message) {
    const out: T[] = [];
    for await (const m of this.serverStream(service, method, request)) out.push(m as T);
    return out;
  }

  /** duplex opens a bidirectional stream (content Write) under an optional lease. */
  duplex(service: ContainerdService, method: string, lease?: string) {
    const client = this.#client(service) as unknown as Record<
      string,
      (md: grpc.Metadata) => grpc.ClientDuplexStream<Message, Message>
    >;
    const fn = client[method];
    if (typeof fn !== 'function') throw new Error(`containerd ${service} has no method ${method}`);
    return fn.call(client, this.metadata(lease));
  }

  /** close closes every channel. */
  close(): void {
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
  }
}
