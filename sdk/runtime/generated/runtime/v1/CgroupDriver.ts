// Original file: proto/runtime/v1/api.proto

/**
 * CgroupDriver is how the runtime manages cgroups.
 */
export const CgroupDriver = {
  SYSTEMD: 'SYSTEMD',
  CGROUPFS: 'CGROUPFS',
} as const;

/**
 * CgroupDriver is how the runtime manages cgroups.
 */
export type CgroupDriver =
  | 'SYSTEMD'
  | 0
  | 'CGROUPFS'
  | 1

/**
 * CgroupDriver is how the runtime manages cgroups.
 */
export type CgroupDriver__Output = typeof CgroupDriver[keyof typeof CgroupDriver]
