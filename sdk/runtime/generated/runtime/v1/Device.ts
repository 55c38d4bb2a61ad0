// Original file: proto/runtime/v1/api.proto


/**
 * Device exposes a host device in a container.
 */
export interface Device {
  'containerPath'?: (string);
  'hostPath'?: (string);
  'permissions'?: (string);
}

/**
 * Device exposes a host device in a container.
 */
export interface Device__Output {
  'containerPath': (string);
  'hostPath': (string);
  'permissions': (string);
}
