// Original file: proto/runtime/v1/api.proto


/**
 * PodIP is one address of a sandbox.
 */
export interface PodIP {
  'ip'?: (string);
}

/**
 * PodIP is one address of a sandbox.
 */
export interface PodIP__Output {
  'ip': (string);
}
