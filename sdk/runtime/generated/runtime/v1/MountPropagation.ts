// Original file: proto/runtime/v1/api.proto

/**
 * MountPropagation says how mounts below a bind mount travel between host and container.
 */
export const MountPropagation = {
  PROPAGATION_PRIVATE: 'PROPAGATION_PRIVATE',
  PROPAGATION_HOST_TO_CONTAINER: 'PROPAGATION_HOST_TO_CONTAINER',
  PROPAGATION_BIDIRECTIONAL: 'PROPAGATION_BIDIRECTIONAL',
} as const;

/**
 * MountPropagation says how mounts below a bind mount travel between host and container.
 */
export type MountPropagation =
  | 'PROPAGATION_PRIVATE'
  | 0
  | 'PROPAGATION_HOST_TO_CONTAINER'
  | 1
  | 'PROPAGATION_BIDIRECTIONAL'
  | 2

/**
 * MountPropagation says how mounts below a bind mount travel between host and container.
 */
export type MountPropagation__Output = typeof MountPropagation[keyof typeof MountPropagation]
