// Original file: proto/runtime/v1/api.proto


/**
 * PodSandboxMetadata identifies the pod a sandbox belongs to; a name, uid, namespace and attempt are unique together.
 */
export interface PodSandboxMetadata {
  'name'?: (string);
  'uid'?: (string);
  'namespace'?: (string);
  'attempt'?: (number);
}

/**
 * PodSandboxMetadata identifies the pod a sandbox belongs to; a name, uid, namespace and attempt are unique together.
 */
export interface PodSandboxMetadata__Output {
  'name': (string);
  'uid': (string);
  'namespace': (string);
  'attempt': (number);
}
