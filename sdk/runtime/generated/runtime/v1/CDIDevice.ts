// Original file: proto/runtime/v1/api.proto


/**
 * CDIDevice names a device by its Container Device Interface name.
 */
export interface CDIDevice {
  'name'?: (string);
}

/**
 * CDIDevice names a device by its Container Device Interface name.
 */
export interface CDIDevice__Output {
  'name': (string);
}
