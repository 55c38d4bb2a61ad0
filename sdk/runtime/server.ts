import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { grpcCode, SkiffError } from '../errors.ts';
import type { Logger } from '../plugin.ts';
import {
  capabilitiesInfoKey,
  capabilityProblems,
  type RuntimeAdapter,
  type RuntimeAdapterMethods,
  type RuntimeCall,
} from './adapter.ts';
import { toGrpcStatus } from './grpc-status.ts';
import { loadRuntimeProto } from './proto.ts';
import { imageServiceRpcs, type Rpc, rpcMethodName, runtimeServiceRpcs } from './rpcs.ts';

/** ServeRuntimeOptions says where and how a runtime adapter is served. */
export interface ServeRuntimeOptions {
  /** listen is `unix:///absolute/path.sock`; the socket is created with mode 0600. */
  listen: string;
  /** graceMs is how long close() lets calls in flight finish before cutting them. */
  graceMs?: number;
  logger?: Logger;
}

/** RuntimeServer is a runtime adapter being served. */
export interface RuntimeServer {
  /** socketPath is the filesystem path of the unix socket. */
  readonly socketPath: string;
  /** close stops accepting calls, lets calls in flight finish (up to the grace), then closes the adapter. */
  close(): Promise<void>;
}

/** unixSocketPath extracts the path of a `unix://` endpoint, or throws on another scheme. */
export function unixSocketPath(endpoint: string): string {
  // `unix:///abs` (URI form) and `unix:/abs` both name /abs; `unix://rel` would be relative.
  const path = endpoint.startsWith('unix://')
    ? endpoint.slice('unix://'.length)
    : endpoint.startsWith('unix:') && !endpoint.startsWith('unix://')
      ? endpoint.slice('unix:'.length)
      : '';
  if (!/^\/[^/]/.test(path)) {
    throw new Error(`endpoint ${JSON.stringify(endpoint)} is not unix:///absolute/path`);
  }
  return path;
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

type AnyHandler = (request: unknown, call: RuntimeCall) => Promise<unknown>;

function callContext(
  call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>,
): { ctx: RuntimeCall; done(): void } {
  const abort = new AbortController();
  const onCancel = () => abort.abort(new Error('the caller cancelled or its deadline passed'));
  call.once('cancelled', onCancel);
  const deadline = call.getDeadline();
  const ctx: RuntimeCall = {
    signal: abort.signal,
    deadline:
      deadline instanceof Date
        ? deadline
        : Number.isFinite(deadline)
          ? new Date(deadline)
          : undefined,
  };
  return { ctx, done: () => call.removeListener('cancelled', onCancel) };
}

function unary(
  adapter: RuntimeAdapter,
  rpc: Rpc,
  logger?: Logger,
): grpc.handleUnaryCall<unknown, unknown> {
  const method = adapter[rpcMethodName(rpc) as keyof RuntimeAdapterMethods] as
    | AnyHandler
    | undefined;
  return (call, callback) => {
    if (typeof method !== 'function') {
      callback({
        code: grpcCode.UNIMPLEMENTED,
        details: `${adapter.runtimeName} does not implement ${rpc}`,
      });
      return;
    }
    const { ctx, done } = callContext(call);
    method
      .call(adapter, call.request, ctx)
      .then(
        (response) => {
          if (rpc === 'Status') addCapabilities(adapter, call.request, response);
          callback(null, response);
        },
        (err: unknown) => {
          const status = toGrpcStatus(err);
          if (status.code === grpcCode.UNKNOWN)
            logger?.error(`${rpc} failed`, { error: status.details });
          callback(status);
        },
      )
      .finally(done);
  };
}

// Status with verbose set reports the declared capabilities, so a caller over the wire can
// read them without a protocol extension.
function addCapabilities(adapter: RuntimeAdapter, request: unknown, response: unknown): void {
  if (!(request as { verbose?: boolean }).verbose || typeof response !== 'object' || !response) {
    return;
  }
  const r = response as { info?: Record<string, string> };
  r.info = { ...r.info, [capabilitiesInfoKey]: JSON.stringify(adapter.capabilities) };
}

function events(
  adapter: RuntimeAdapter,
  logger?: Logger,
): grpc.handleServerStreamingCall<unknown, unknown> {
  return (call) => {
    const method = adapter.getContainerEvents;
    if (typeof method !== 'function') {
      call.emit('error', {
        code: grpcCode.UNIMPLEMENTED,
        details: `${adapter.runtimeName} does not implement GetContainerEvents`,
      });
      return;
    }
    const { ctx, done } = callContext(call);
    void (async () => {
      try {
        for await (const event of method.call(adapter, call.request as never, ctx)) {
          if (ctx.signal.aborted) break;
          call.write(event);
        }
        call.end();
      } catch (err) {
        const status = toGrpcStatus(err);
        if (status.code === grpcCode.UNKNOWN)
          logger?.error('GetContainerEvents failed', { error: status.details });
        call.emit('error', status);
      } finally {
        done();
      }
    })();
  };
}

function implementation(adapter: RuntimeAdapter, rpcs: readonly Rpc[], logger?: Logger) {
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const rpc of rpcs) {
    if (rpc === 'GetContainerEvents') handlers[rpc] = events(adapter, logger);
    else if (rpc === 'Version') handlers[rpc] = version(adapter);
    else handlers[rpc] = unary(adapter, rpc, logger);
  }
  return handlers;
}

function version(adapter: RuntimeAdapter): grpc.handleUnaryCall<unknown, unknown> {
  return (_call, callback) =>
    callback(null, {
      version: '0.1.0',
      runtimeName: adapter.runtimeName,
      runtimeVersion: adapter.runtimeVersion,
      runtimeApiVersion: 'v1',
    });
}

/**
 * serveRuntime serves an adapter as runtime.v1 RuntimeService and ImageService on a unix
 * socket (mode 0600, its directory created). Rpcs the adapter lacks answer UNIMPLEMENTED.
 */
export async function serveRuntime(
  adapter: RuntimeAdapter,
  options: ServeRuntimeOptions,
): Promise<RuntimeServer> {
  const socketPath = unixSocketPath(options.listen);
  const problems = capabilityProblems(adapter);
  if (problems.length > 0) {
    throw new SkiffError(
      'PluginInvalid',
      `runtime ${adapter.runtimeName} ${problems.join('; ')}: declare only what it implements`,
    );
  }
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 });
  if (existsSync(socketPath)) {
    if (await socketAnswers(socketPath)) {
      throw new SkiffError('AlreadyExists', `another process already serves ${socketPath}`);
    }
    // A socket left by a process that died would make bind fail.
    rmSync(socketPath, { force: true });
  }
  const proto = loadRuntimeProto().runtime.v1;
  const server = new grpc.Server();
  server.addService(
    proto.RuntimeService.service,
    implementation(adapter, runtimeServiceRpcs, options.logger),
  );
  server.addService(
    proto.ImageService.service,
    implementation(adapter, imageServiceRpcs, options.logger),
  );
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  chmodSync(socketPath, 0o600);
  let closing: Promise<void> | undefined;
  const close = async () => {
    const graceMs = options.graceMs ?? 10_000;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    rmSync(socketPath, { force: true });
    await adapter.close();
  };
  return {
    socketPath,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}
