import type { MethodDefinition } from '@grpc/proto-loader';
import type { ImageServiceDefinition } from './generated/runtime/v1/ImageService.ts';
import type { RuntimeServiceDefinition } from './generated/runtime/v1/RuntimeService.ts';

/** runtimeServiceRpcs lists the rpcs of runtime.v1.RuntimeService, in the order of the .proto file. */
export const runtimeServiceRpcs = [
  'Version',
  'RunPodSandbox',
  'StopPodSandbox',
  'RemovePodSandbox',
  'PodSandboxStatus',
  'ListPodSandbox',
  'CreateContainer',
  'StartContainer',
  'StopContainer',
  'RemoveContainer',
  'ListContainers',
  'ContainerStatus',
  'UpdateContainerResources',
  'ReopenContainerLog',
  'ExecSync',
  'Exec',
  'Attach',
  'PortForward',
  'ContainerStats',
  'ListContainerStats',
  'PodSandboxStats',
  'ListPodSandboxStats',
  'UpdateRuntimeConfig',
  'Status',
  'CheckpointContainer',
  'GetContainerEvents',
  'ListMetricDescriptors',
  'ListPodSandboxMetrics',
  'RuntimeConfig',
] as const;

/** imageServiceRpcs lists the rpcs of runtime.v1.ImageService. */
export const imageServiceRpcs = [
  'ListImages',
  'ImageStatus',
  'PullImage',
  'RemoveImage',
  'ImageFsInfo',
] as const;

/** RuntimeServiceRpc is the name of a RuntimeService rpc. */
export type RuntimeServiceRpc = (typeof runtimeServiceRpcs)[number];
/** ImageServiceRpc is the name of an ImageService rpc. */
export type ImageServiceRpc = (typeof imageServiceRpcs)[number];
/** Rpc is the name of any runtime.v1 rpc. */
export type Rpc = RuntimeServiceRpc | ImageServiceRpc;
/** StreamingRpc names the rpcs whose response is a stream. */
export type StreamingRpc = 'GetContainerEvents';
/** UnaryRpc names the rpcs with a single response. */
export type UnaryRpc = Exclude<Rpc, StreamingRpc>;

type Definition<K extends Rpc> = K extends RuntimeServiceRpc
  ? RuntimeServiceDefinition[K]
  : K extends ImageServiceRpc
    ? ImageServiceDefinition[K]
    : never;

// The generated method definitions carry all four message shapes: what a sender may write
// (permissive, every field optional) and what a receiver gets (defaults filled in).
type Shapes<K extends Rpc> =
  Definition<K> extends MethodDefinition<infer ReqIn, infer ResIn, infer ReqOut, infer ResOut>
    ? { reqIn: ReqIn; resIn: ResIn; reqOut: ReqOut; resOut: ResOut }
    : never;

/** RpcRequest is the request of rpc K as a caller writes it (fields optional). */
export type RpcRequest<K extends Rpc> = Shapes<K>['reqIn'];
/** RpcRequestReceived is the request of rpc K as an adapter receives it (defaults filled). */
export type RpcRequestReceived<K extends Rpc> = Shapes<K>['reqOut'];
/** RpcResponse is the response of rpc K as an adapter writes it (fields optional). */
export type RpcResponse<K extends Rpc> = Shapes<K>['resIn'];
/** RpcResponseReceived is the response of rpc K as a caller receives it (defaults filled). */
export type RpcResponseReceived<K extends Rpc> = Shapes<K>['resOut'];

/** rpcMethodName turns an rpc name into the method name adapters and clients use (`runPodSandbox`). */
export function rpcMethodName<K extends Rpc>(rpc: K): Uncapitalize<K> {
  return (rpc.charAt(0).toLowerCase() + rpc.slice(1)) as Uncapitalize<K>;
}
