// Original file: proto/runtime/v1/api.proto


/**
 * ExecResponse carries the streaming server URL for the exec.
 */
export interface ExecResponse {
  'url'?: (string);
}

/**
 * ExecResponse carries the streaming server URL for the exec.
 */
export interface ExecResponse__Output {
  'url': (string);
}
