// Original file: proto/runtime/v1/api.proto

/**
 * Protocol is the transport of a port mapping.
 */
export const Protocol = {
  TCP: 'TCP',
  UDP: 'UDP',
  SCTP: 'SCTP',
} as const;

/**
 * Protocol is the transport of a port mapping.
 */
export type Protocol =
  | 'TCP'
  | 0
  | 'UDP'
  | 1
  | 'SCTP'
  | 2

/**
 * Protocol is the transport of a port mapping.
 */
export type Protocol__Output = typeof Protocol[keyof typeof Protocol]
