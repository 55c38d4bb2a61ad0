// Original file: proto/runtime/v1/api.proto


/**
 * PortForwardRequest lists the sandbox ports to forward.
 */
export interface PortForwardRequest {
  'podSandboxId'?: (string);
  'port'?: (number)[];
}

/**
 * PortForwardRequest lists the sandbox ports to forward.
 */
export interface PortForwardRequest__Output {
  'podSandboxId': (string);
  'port': (number)[];
}
