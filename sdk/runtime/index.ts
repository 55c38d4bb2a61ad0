// The runtime adapter kit: the runtime.v1 contract, serving an adapter, and the agent's client.
export * from './adapter.ts';
export * from './client.ts';
export * from './grpc-status.ts';
export * from './proto.ts';
export * from './rpcs.ts';
export * from './seccomp.ts';
export * from './server.ts';
