// Original file: proto/runtime/v1/api.proto


/**
 * ExecSyncResponse holds the captured output and exit code.
 */
export interface ExecSyncResponse {
  'stdout'?: (Buffer | Uint8Array | string);
  'stderr'?: (Buffer | Uint8Array | string);
  'exitCode'?: (number);
}

/**
 * ExecSyncResponse holds the captured output and exit code.
 */
export interface ExecSyncResponse__Output {
  'stdout': (Buffer);
  'stderr': (Buffer);
  'exitCode': (number);
}
