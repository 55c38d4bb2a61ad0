// Original file: proto/runtime/v1/api.proto


/**
 * AuthConfig holds registry credentials for a pull.
 */
export interface AuthConfig {
  'username'?: (string);
  'password'?: (string);
  'auth'?: (string);
  'serverAddress'?: (string);
  'identityToken'?: (string);
  'registryToken'?: (string);
}

/**
 * AuthConfig holds registry credentials for a pull.
 */
export interface AuthConfig__Output {
  'username': (string);
  'password': (string);
  'auth': (string);
  'serverAddress': (string);
  'identityToken': (string);
  'registryToken': (string);
}
