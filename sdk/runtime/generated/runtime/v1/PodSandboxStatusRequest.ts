// Original file: proto/runtime/v1/api.proto


/**
 * PodSandboxStatusRequest names the sandbox; verbose asks for runtime-specific info.
 */
export interface PodSandboxStatusRequest {
  'podSandboxId'?: (string);
  'verbose'?: (boolean);
}

/**
 * PodSandboxStatusRequest names the sandbox; verbose asks for runtime-specific info.
 */
export interface PodSandboxStatusRequest__Output {
  'podSandboxId': (string);
  'verbose': (boolean);
}
