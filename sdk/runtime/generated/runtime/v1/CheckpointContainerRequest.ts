// Original file: proto/runtime/v1/api.proto

import type { Long } from '@grpc/proto-loader';

/**
 * CheckpointContainerRequest names a container and where to write its checkpoint.
 */
export interface CheckpointContainerRequest {
  'containerId'?: (string);
  'location'?: (string);
  'timeout'?: (number | string | Long);
}

/**
 * CheckpointContainerRequest names a container and where to write its checkpoint.
 */
export interface CheckpointContainerRequest__Output {
  'containerId': (string);
  'location': (string);
  'timeout': (string);
}
