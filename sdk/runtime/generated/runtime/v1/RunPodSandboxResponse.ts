// Original file: proto/runtime/v1/api.proto


/**
 * RunPodSandboxResponse carries the new sandbox's id.
 */
export interface RunPodSandboxResponse {
  'podSandboxId'?: (string);
}

/**
 * RunPodSandboxResponse carries the new sandbox's id.
 */
export interface RunPodSandboxResponse__Output {
  'podSandboxId': (string);
}
