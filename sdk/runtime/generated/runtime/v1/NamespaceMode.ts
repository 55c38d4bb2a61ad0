// Original file: proto/runtime/v1/api.proto

/**
 * NamespaceMode says which namespace a container shares: the pod's, its own, the node's, or another container's.
 */
export const NamespaceMode = {
  POD: 'POD',
  CONTAINER: 'CONTAINER',
  NODE: 'NODE',
  TARGET: 'TARGET',
} as const;

/**
 * NamespaceMode says which namespace a container shares: the pod's, its own, the node's, or another container's.
 */
export type NamespaceMode =
  | 'POD'
  | 0
  | 'CONTAINER'
  | 1
  | 'NODE'
  | 2
  | 'TARGET'
  | 3

/**
 * NamespaceMode says which namespace a container shares: the pod's, its own, the node's, or another container's.
 */
export type NamespaceMode__Output = typeof NamespaceMode[keyof typeof NamespaceMode]
