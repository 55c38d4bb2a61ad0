// Original file: proto/runtime/v1/api.proto


/**
 * IDMapping maps a range of user or group ids between the host and a user namespace.
 */
export interface IDMapping {
  'hostId'?: (number);
  'containerId'?: (number);
  'length'?: (number);
}

/**
 * IDMapping maps a range of user or group ids between the host and a user namespace.
 */
export interface IDMapping__Output {
  'hostId': (number);
  'containerId': (number);
  'length': (number);
}
