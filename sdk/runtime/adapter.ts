import { defineExtensionKind, type Logger } from '../plugin.ts';
import type { Rpc, RpcRequestReceived, RpcResponse, StreamingRpc, UnaryRpc } from './rpcs.ts';

/**
 * RuntimeCapabilities declares up front which optional parts of the protocol an adapter
 * honours, so callers check them instead of catching UNIMPLEMENTED at run time.
 */
export interface RuntimeCapabilities {
  /** exec: ExecSync runs commands in running containers. */
  readonly exec: boolean;
  /** streamingExec: Exec answers a streaming-server URL for interactive commands. */
  readonly streamingExec: boolean;
  /** attach: Attach answers a streaming-server URL. */
  readonly attach: boolean;
  /** portForward: PortForward answers a streaming-server URL. */
  readonly portForward: boolean;
  /** stats: ContainerStats, ListContainerStats and the sandbox stats calls work. */
  readonly stats: boolean;
  /** events: GetContainerEvents streams lifecycle events. */
  readonly events: boolean;
  /** isolation: containers share the host kernel ('container') or run in a VM per sandbox ('vm'). */
  readonly isolation: 'container' | 'vm';
  /**
   * seccomp: the seccomp profile a security context names (RuntimeDefault or a profile file)
   * filters the container's system calls. Absent means false: a 'vm' runtime may leave that to
   * the VM boundary.
   */
  readonly seccomp?: boolean;
}

/** RuntimeCall is what an adapter method learns about the call besides its request. */
export interface RuntimeCall {
  /** signal aborts when the caller cancels or the call's deadline passes. */
  readonly signal: AbortSignal;
  /** deadline is when the caller stops waiting, if it set one. */
  readonly deadline: Date | undefined;
}

/** RuntimeHandler is an adapter's implementation of one unary rpc. */
export type RuntimeHandler<K extends UnaryRpc> = (
  request: RpcRequestReceived<K>,
  call: RuntimeCall,
) => Promise<RpcResponse<K>>;

/** RuntimeEventHandler is an adapter's implementation of a streaming rpc. */
export type RuntimeEventHandler<K extends StreamingRpc> = (
  request: RpcRequestReceived<K>,
  call: RuntimeCall,
) => AsyncIterable<RpcResponse<K>>;

/**
 * RequiredRpc names the rpcs every adapter implements: the sandbox and container lifecycle,
 * status and images. Version is answered by the kit from runtimeName and runtimeVersion.
 */
export type RequiredRpc =
  | 'Status'
  | 'RunPodSandbox'
  | 'StopPodSandbox'
  | 'RemovePodSandbox'
  | 'PodSandboxStatus'
  | 'ListPodSandbox'
  | 'CreateContainer'
  | 'StartContainer'
  | 'StopContainer'
  | 'RemoveContainer'
  | 'ListContainers'
  | 'ContainerStatus'
  | 'ListImages'
  | 'ImageStatus'
  | 'PullImage'
  | 'RemoveImage';

/** OptionalRpc names the unary rpcs an adapter may leave out; they then answer UNIMPLEMENTED. */
export type OptionalRpc = Exclude<UnaryRpc, RequiredRpc | 'Version'>;

/** RuntimeAdapterMethods maps each rpc to its method (`RunPodSandbox` → `runPodSandbox`). */
export type RuntimeAdapterMethods = {
  [K in RequiredRpc as Uncapitalize<K>]: RuntimeHandler<K>;
} & {
  [K in OptionalRpc as Uncapitalize<K>]?: RuntimeHandler<K>;
} & {
  [K in StreamingRpc as Uncapitalize<K>]?: RuntimeEventHandler<K>;
};

/**
 * RuntimeAdapter is what a runtime plugin implements: one promise-returning method per
 * runtime.v1 rpc (request as received, response as written), its capabilities, and close().
 * Expected failures reject with a SkiffError (NotFound, Invalid, ...); serveRuntime maps them
 * to gRPC status codes in one place.
 */
export interface RuntimeAdapter extends RuntimeAdapterMethods {
  /** runtimeName is what Version reports as runtime_name (`skiff-docker`). */
  readonly runtimeName: string;
  /** runtimeVersion is what Version reports as runtime_version. */
  readonly runtimeVersion: string;
  readonly capabilities: RuntimeCapabilities;
  /** close releases what the adapter holds (clients, streaming server); it keeps containers. */
  close(): Promise<void>;
}

/** RuntimeFactoryOptions is what a runtime factory receives when a runtime process starts. */
export interface RuntimeFactoryOptions {
  /** config holds the plugin's options (from the cluster config or the command line flags). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly logger: Logger;
}

/** RuntimeFactory creates a runtime adapter; a runtime plugin provides one per runtime name. */
export type RuntimeFactory = (options: RuntimeFactoryOptions) => Promise<RuntimeAdapter>;

/** runtimeExtension is the extension kind of container runtimes (`runtime/docker`). */
export const runtimeExtension = defineExtensionKind<RuntimeFactory>('runtime');

/** capabilitiesInfoKey is the Status info key (verbose only) that carries the capabilities as JSON. */
export const capabilitiesInfoKey = 'skiff.capabilities';

/** isImplemented tells whether an adapter has a method for an rpc. */
export function isImplemented(adapter: RuntimeAdapter, rpc: Rpc): boolean {
  if (rpc === 'Version') return true;
  const name = (rpc.charAt(0).toLowerCase() + rpc.slice(1)) as keyof RuntimeAdapterMethods;
  return typeof adapter[name] === 'function';
}

const capabilityMethods: Record<
  Exclude<keyof RuntimeCapabilities, 'isolation' | 'seccomp'>,
  Rpc[]
> = {
  exec: ['ExecSync'],
  streamingExec: ['Exec'],
  attach: ['Attach'],
  portForward: ['PortForward'],
  stats: ['ContainerStats', 'ListContainerStats'],
  events: ['GetContainerEvents'],
};

/** capabilityProblems lists the capabilities an adapter declares without the methods behind them. */
export function capabilityProblems(adapter: RuntimeAdapter): string[] {
  const problems: string[] = [];
  for (const [capability, rpcs] of Object.entries(capabilityMethods)) {
    if (!adapter.capabilities[capability as keyof typeof capabilityMethods]) continue;
    for (const rpc of rpcs.filter((r) => !isImplemented(adapter, r))) {
      problems.push(`declares ${capability} but does not implement ${rpc}`);
    }
  }
  if (!['container', 'vm'].includes(adapter.capabilities.isolation)) {
    problems.push(
      `isolation ${JSON.stringify(adapter.capabilities.isolation)} is neither container nor vm`,
    );
  }
  return problems;
}
