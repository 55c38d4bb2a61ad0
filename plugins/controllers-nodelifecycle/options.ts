// The plugin's values (its section of the cluster config), with Kubernetes' defaults.
import { SkiffError } from '../../sdk/index.ts';

/** NodeLifecycleOptions tune node health checks and taint-based eviction. */
export interface NodeLifecycleOptions {
  /** nodeMonitorGracePeriodSeconds: a node silent this long is marked Unknown (40). */
  readonly nodeMonitorGracePeriodSeconds: number;
  /** nodeMonitorPeriodSeconds: how often tainted nodes are looked at again (5). */
  readonly nodeMonitorPeriodSeconds: number;
  /**
   * defaultTolerationSeconds: how long a pod with no toleration of its own for not-ready or
   * unreachable stays on such a node (300).
   */
  readonly defaultTolerationSeconds: number;
}

/** defaultNodeLifecycleOptions are Kubernetes' defaults. */
export const defaultNodeLifecycleOptions: NodeLifecycleOptions = Object.freeze({
  nodeMonitorGracePeriodSeconds: 40,
  nodeMonitorPeriodSeconds: 5,
  defaultTolerationSeconds: 300,
});

/**
 * nodeLifecycleOptions reads the plugin's values over the defaults; a value that is not a
 * positive number (zero allowed for defaultTolerationSeconds) or an unknown key is refused
 * with a message that names it, before anything starts.
 */
export function nodeLifecycleOptions(
  config: Readonly<Record<string, unknown>>,
): NodeLifecycleOptions {
  const out: Record<string, number> = { ...defaultNodeLifecycleOptions };
  for (const [key, value] of Object.entries(config)) {
    if (!(key in defaultNodeLifecycleOptions))
      throw new SkiffError(
        'PluginInvalid',
        `controllers-nodelifecycle: unknown value ${JSON.stringify(key)}; known are ${Object.keys(defaultNodeLifecycleOptions).join(', ')}`,
      );
    const min = key === 'defaultTolerationSeconds' ? 0 : Number.MIN_VALUE;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min)
      throw new SkiffError(
        'PluginInvalid',
        `controllers-nodelifecycle: ${key} must be a ${min === 0 ? 'non-negative' : 'positive'} number of seconds, got ${JSON.stringify(value)}`,
      );
    out[key] = value;
  }
  return out as unknown as NodeLifecycleOptions;
}
