// Original file: proto/runtime/v1/api.proto

import type { Long } from '@grpc/proto-loader';

/**
 * ExecSyncRequest runs cmd in a container; timeout is in seconds, 0 means none.
 */
export interface ExecSyncRequest {
  'containerId'?: (string);
  'cmd'?: (string)[];
  'timeout'?: (number | string | Long);
}

/**
 * ExecSyncRequest runs cmd in a container; timeout is in seconds, 0 means none.
 */
export interface ExecSyncRequest__Output {
  'containerId': (string);
  'cmd': (string)[];
  'timeout': (string);
}
