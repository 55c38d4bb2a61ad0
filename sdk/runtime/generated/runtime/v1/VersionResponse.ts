// Original file: proto/runtime/v1/api.proto


/**
 * VersionResponse names the runtime and the protocol version it speaks (v1).
 */
export interface VersionResponse {
  'version'?: (string);
  'runtimeName'?: (string);
  'runtimeVersion'?: (string);
  'runtimeApiVersion'?: (string);
}

/**
 * VersionResponse names the runtime and the protocol version it speaks (v1).
 */
export interface VersionResponse__Output {
  'version': (string);
  'runtimeName': (string);
  'runtimeVersion': (string);
  'runtimeApiVersion': (string);
}
