// Original file: proto/runtime/v1/api.proto

/**
 * MetricType says whether a metric only grows or goes up and down.
 */
export const MetricType = {
  COUNTER: 'COUNTER',
  GAUGE: 'GAUGE',
} as const;

/**
 * MetricType says whether a metric only grows or goes up and down.
 */
export type MetricType =
  | 'COUNTER'
  | 0
  | 'GAUGE'
  | 1

/**
 * MetricType says whether a metric only grows or goes up and down.
 */
export type MetricType__Output = typeof MetricType[keyof typeof MetricType]
