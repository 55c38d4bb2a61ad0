// Original file: proto/runtime/v1/api.proto


/**
 * RuntimeCondition is one named condition of the runtime (RuntimeReady, NetworkReady).
 */
export interface RuntimeCondition {
  'type'?: (string);
  'status'?: (boolean);
  'reason'?: (string);
  'message'?: (string);
}

/**
 * RuntimeCondition is one named condition of the runtime (RuntimeReady, NetworkReady).
 */
export interface RuntimeCondition__Output {
  'type': (string);
  'status': (boolean);
  'reason': (string);
  'message': (string);
}
