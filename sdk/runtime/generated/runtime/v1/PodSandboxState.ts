// Original file: proto/runtime/v1/api.proto

/**
 * PodSandboxState is whether a sandbox is ready.
 */
export const PodSandboxState = {
  SANDBOX_READY: 'SANDBOX_READY',
  SANDBOX_NOTREADY: 'SANDBOX_NOTREADY',
} as const;

/**
 * PodSandboxState is whether a sandbox is ready.
 */
export type PodSandboxState =
  | 'SANDBOX_READY'
  | 0
  | 'SANDBOX_NOTREADY'
  | 1

/**
 * PodSandboxState is whether a sandbox is ready.
 */
export type PodSandboxState__Output = typeof PodSandboxState[keyof typeof PodSandboxState]
