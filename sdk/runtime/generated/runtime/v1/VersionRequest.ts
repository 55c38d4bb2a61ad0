// Original file: proto/runtime/v1/api.proto


/**
 * VersionRequest carries the protocol version the caller speaks.
 */
export interface VersionRequest {
  'version'?: (string);
}

/**
 * VersionRequest carries the protocol version the caller speaks.
 */
export interface VersionRequest__Output {
  'version': (string);
}
