// Original file: proto/runtime/v1/api.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Int64Value wraps an int64 so that zero and unset differ.
 */
export interface Int64Value {
  'value'?: (number | string | Long);
}

/**
 * Int64Value wraps an int64 so that zero and unset differ.
 */
export interface Int64Value__Output {
  'value': (string);
}
