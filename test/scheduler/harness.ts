import { clusterBinder } from '../../core/scheduler/cluster.ts';
import { defaultProfile } from '../../core/scheduler/default-profile.ts';
import type { ProfileConfig } from '../../core/scheduler/framework.ts';
import { MemoryCluster } from '../../core/scheduler/memory-cluster.ts';
import { Scheduler } from '../../core/scheduler/scheduler.ts';
import { defaultPlugins } from '../../plugins/scheduler-default/plugins.ts';
import type { AnySchedulerPlugin } from '../../sdk/scheduler.ts';

/** startScheduler runs a scheduler with the default plugins (plus extras) over an in-memory cluster. */
export function startScheduler(
  opts: { cluster?: MemoryCluster; extra?: AnySchedulerPlugin[]; profiles?: ProfileConfig[] } = {},
) {
  const cluster = opts.cluster ?? new MemoryCluster();
  const binder = clusterBinder(cluster);
  const plugins = new Map<string, AnySchedulerPlugin>();
  for (const p of [...defaultPlugins(() => binder), ...(opts.extra ?? [])]) plugins.set(p.name, p);
  const errors: unknown[] = [];
  const scheduler = new Scheduler({
    cluster,
    plugins,
    profiles: opts.profiles ?? [defaultProfile()],
    queue: { initialBackoffMs: 5, maxBackoffMs: 20 },
    onError: (err) => errors.push(err),
  });
  scheduler.start();
  return { cluster, scheduler, errors };
}

/** placement maps pod name to node name (or '' when the pod is not bound). */
export function placement(cluster: MemoryCluster): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of cluster.pods.values()) out[p.metadata?.name ?? ''] = p.spec?.nodeName ?? '';
  return out;
}
