// Original file: proto/runtime/v1/api.proto


/**
 * Capability lists Linux capabilities to add or drop.
 */
export interface Capability {
  'addCapabilities'?: (string)[];
  'dropCapabilities'?: (string)[];
  'addAmbientCapabilities'?: (string)[];
}

/**
 * Capability lists Linux capabilities to add or drop.
 */
export interface Capability__Output {
  'addCapabilities': (string)[];
  'dropCapabilities': (string)[];
  'addAmbientCapabilities': (string)[];
}
