import * as grpc from '@grpc/grpc-js';
import { capabilitiesInfoKey, type RuntimeCapabilities } from './adapter.ts';
import { fromGrpcError } from './grpc-status.ts';
import { loadRuntimeProto } from './proto.ts';
import {
  imageServiceRpcs,
  type Rpc,
  type RpcRequest,
  type RpcResponseReceived,
  rpcMethodName,
  runtimeServiceRpcs,
  type StreamingRpc,
  type UnaryRpc,
} from './rpcs.ts';

/** RuntimeClientOptions tunes a RuntimeClient. */
export interface RuntimeClientOptions {
  /** timeoutMs is the deadline of every call that sets none (default 30 s). */
  timeoutMs?: number;
  /**
   * maxReconnectBackoffMs caps the wait between reconnection attempts (default 1 s), so a
   * restarted runtime is picked up quickly.
   */
  maxReconnectBackoffMs?: number;
}

/** RuntimeCallOptions tunes one call. */
export interface RuntimeCallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** RuntimeClientMethods has one typed method per rpc (`runPodSandbox`, `listImages`, ...). */
export type RuntimeClientMethods = {
  [K in UnaryRpc as Uncapitalize<K>]: (
    request: RpcRequest<K>,
    options?: RuntimeCallOptions,
  ) => Promise<RpcResponseReceived<K>>;
} & {
  [K in StreamingRpc as Uncapitalize<K>]: (
    request: RpcRequest<K>,
    options?: RuntimeCallOptions,
  ) => AsyncIterable<RpcResponseReceived<K>>;
};

/**
 * RuntimeClient is the agent's side of runtime.v1: typed promise methods, a deadline on every
 * call, and a channel that reconnects by itself. While the runtime is down calls fail fast with
 * UNAVAILABLE; once it is back they succeed again. Failures reject with a RuntimeCallError.
 */
export interface RuntimeClient extends RuntimeClientMethods {
  readonly endpoint: string;
  /** capabilities reads the runtime's declared capabilities (Status, verbose); undefined when it declares none. */
  capabilities(options?: RuntimeCallOptions): Promise<RuntimeCapabilities | undefined>;
  /** waitForReady waits until the channel is connected, or rejects after timeoutMs. */
  waitForReady(timeoutMs: number): Promise<void>;
  close(): void;
}

// Calls that wait on purpose for a time the request gives (ExecSync's and StopContainer's
// timeout, in seconds) get that time plus a margin, so the default deadline never cuts them.
const requestWaitRpcs: ReadonlySet<string> = new Set(['ExecSync', 'StopContainer']);

/** callBudgetMs is the deadline of a call made without an explicit timeout. */
export function callBudgetMs(rpc: Rpc, request: unknown, defaultMs: number): number {
  if (!requestWaitRpcs.has(rpc)) return defaultMs;
  const seconds = Number((request as { timeout?: unknown } | undefined)?.timeout ?? 0);
  return Number.isFinite(seconds) && seconds > 0
    ? Math.max(defaultMs, seconds * 1000 + 10_000)
    : defaultMs;
}

/** connectRuntime creates a client for the runtime serving at endpoint (`unix:///run/skiff/docker.sock`). */
export function connectRuntime(
  endpoint: string,
  options: RuntimeClientOptions = {},
): RuntimeClient {
  const proto = loadRuntimeProto().runtime.v1;
  const channelOptions: grpc.ChannelOptions = {
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': options.maxReconnectBackoffMs ?? 1000,
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
  };
  const credentials = grpc.credentials.createInsecure();
  const runtime = new grpc.Client(endpoint, credentials, channelOptions);
  // The image client shares the runtime client's channel: one connection, one state.
  const image = new grpc.Client(endpoint, credentials, {
    channelOverride: runtime.getChannel(),
  });
  const defaultTimeout = options.timeoutMs ?? 30_000;

  const definitionOf = (rpc: Rpc) =>
    (runtimeServiceRpcs as readonly string[]).includes(rpc)
      ? {
          client: runtime,
          def: proto.RuntimeService.service[rpc as never] as grpc.MethodDefinition<
            unknown,
            unknown
          >,
        }
      : {
          client: image,
          def: proto.ImageService.service[rpc as never] as grpc.MethodDefinition<unknown, unknown>,
        };

  const unary =
    (rpc: UnaryRpc) =>
    (request: unknown, opts: RuntimeCallOptions = {}): Promise<unknown> => {
      const { client, def } = definitionOf(rpc);
      const deadline = Date.now() + (opts.timeoutMs ?? callBudgetMs(rpc, request, defaultTimeout));
      return new Promise((resolve, reject) => {
        const call = client.makeUnaryRequest(
          def.path,
          def.requestSerialize,
          def.responseDeserialize,
          request ?? {},
          new grpc.Metadata(),
          { deadline },
          (err, response) => {
            opts.signal?.removeEventListener('abort', cancel);
            if (err) reject(fromGrpcError(rpc, err));
            else resolve(response);
          },
        );
        const cancel = () => call.cancel();
        opts.signal?.addEventListener('abort', cancel, { once: true });
      });
    };

  const stream =
    (rpc: StreamingRpc) =>
    (request: unknown, opts: RuntimeCallOptions = {}): AsyncIterable<unknown> => ({
      async *[Symbol.asyncIterator]() {
        const { client, def } = definitionOf(rpc);
        const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
        const call = client.makeServerStreamRequest(
          def.path,
          def.requestSerialize,
          def.responseDeserialize,
          request ?? {},
          new grpc.Metadata(),
          { deadline },
        );
        const cancel = () => call.cancel();
        opts.signal?.addEventListener('abort', cancel, { once: true });
        try {
          for await (const item of call) yield item;
        } catch (err) {
          if (opts.signal?.aborted) return;
          throw fromGrpcError(rpc, err);
        } finally {
          opts.signal?.removeEventListener('abort', cancel);
          call.cancel();
        }
      },
    });

  const methods: Record<string, unknown> = {};
  for (const rpc of [...runtimeServiceRpcs, ...imageServiceRpcs]) {
    methods[rpcMethodName(rpc)] = rpc === 'GetContainerEvents' ? stream(rpc) : unary(rpc);
  }
  const typed = methods as RuntimeClientMethods;

  return {
    ...typed,
    endpoint,
    async capabilities(opts) {
      const status = await typed.status({ verbose: true }, opts);
      const raw = status.info[capabilitiesInfoKey];
      return raw ? (JSON.parse(raw) as RuntimeCapabilities) : undefined;
    },
    waitForReady(timeoutMs) {
      return new Promise((resolve, reject) =>
        runtime.waitForReady(Date.now() + timeoutMs, (err) =>
          err ? reject(new Error(`runtime at ${endpoint} not ready: ${err.message}`)) : resolve(),
        ),
      );
    },
    close() {
      image.close();
      runtime.close();
    },
  };
}
