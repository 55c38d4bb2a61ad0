// Original file: proto/runtime/v1/api.proto

import type { Long } from '@grpc/proto-loader';

/**
 * StopContainerRequest gives the grace period in seconds before the container is killed.
 */
export interface StopContainerRequest {
  'containerId'?: (string);
  'timeout'?: (number | string | Long);
}

/**
 * StopContainerRequest gives the grace period in seconds before the container is killed.
 */
export interface StopContainerRequest__Output {
  'containerId': (string);
  'timeout': (string);
}
