import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/api.ts';

/** runtimeProtoPath is the absolute path of the runtime.v1 protocol file. */
export const runtimeProtoPath = fileURLToPath(
  new URL('../../proto/runtime/v1/api.proto', import.meta.url),
);

/**
 * runtimeProtoOptions are the proto-loader options the generated types were made with
 * (`npm run gen:proto`): 64-bit integers and enums travel as strings, defaults are filled.
 */
export const runtimeProtoOptions: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

let cached: ProtoGrpcType | undefined;

/** loadRuntimeProto loads runtime.v1 once and returns its gRPC package object. */
export function loadRuntimeProto(): ProtoGrpcType {
  if (!cached) {
    const definition = protoLoader.loadSync(runtimeProtoPath, runtimeProtoOptions);
    cached = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return cached;
}
