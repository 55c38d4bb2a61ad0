// Original file: proto/runtime/v1/api.proto


/**
 * ContainerMetadata identifies a container within its sandbox; name and attempt are unique together.
 */
export interface ContainerMetadata {
  'name'?: (string);
  'attempt'?: (number);
}

/**
 * ContainerMetadata identifies a container within its sandbox; name and attempt are unique together.
 */
export interface ContainerMetadata__Output {
  'name': (string);
  'attempt': (number);
}
