// Original file: proto/runtime/v1/api.proto


/**
 * DNSConfig is written into the sandbox's resolv.conf.
 */
export interface DNSConfig {
  'servers'?: (string)[];
  'searches'?: (string)[];
  'options'?: (string)[];
}

/**
 * DNSConfig is written into the sandbox's resolv.conf.
 */
export interface DNSConfig__Output {
  'servers': (string)[];
  'searches': (string)[];
  'options': (string)[];
}
