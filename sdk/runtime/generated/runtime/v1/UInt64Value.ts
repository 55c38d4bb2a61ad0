// Original file: proto/runtime/v1/api.proto

import type { Long } from '@grpc/proto-loader';

/**
 * UInt64Value wraps a uint64 so that zero and unset differ.
 */
export interface UInt64Value {
  'value'?: (number | string | Long);
}

/**
 * UInt64Value wraps a uint64 so that zero and unset differ.
 */
export interface UInt64Value__Output {
  'value': (string);
}
