// Original file: proto/runtime/v1/api.proto

import type { PodSandboxState as _runtime_v1_PodSandboxState, PodSandboxState__Output as _runtime_v1_PodSandboxState__Output } from '../../runtime/v1/PodSandboxState.ts';

/**
 * PodSandboxStateValue wraps a state so that a filter can leave it unset.
 */
export interface PodSandboxStateValue {
  'state'?: (_runtime_v1_PodSandboxState);
}

/**
 * PodSandboxStateValue wraps a state so that a filter can leave it unset.
 */
export interface PodSandboxStateValue__Output {
  'state': (_runtime_v1_PodSandboxState__Output);
}
