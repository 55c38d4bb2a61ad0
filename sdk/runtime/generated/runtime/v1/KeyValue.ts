// Original file: proto/runtime/v1/api.proto


/**
 * KeyValue is one environment variable.
 */
export interface KeyValue {
  'key'?: (string);
  'value'?: (string);
}

/**
 * KeyValue is one environment variable.
 */
export interface KeyValue__Output {
  'key': (string);
  'value': (string);
}
