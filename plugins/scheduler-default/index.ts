import { definePlugin } from '../../sdk/plugin.ts';
import { type PodBinder, podBinderToken, schedulerPluginExtension } from '../../sdk/scheduler.ts';
import { defaultPlugins } from './plugins.ts';

const names = defaultPlugins(() => undefined).map((p) => p.name);

/** schedulerDefault is the built-in plugin that provides Kubernetes' default scheduler plugins. */
export default definePlugin({
  id: 'scheduler-default',
  version: '0.1.0',
  sdk: '^1.0.0',
  description:
    'Default scheduler plugins: PrioritySort, NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit, PodTopologySpread, InterPodAffinity, NodeResourcesBalancedAllocation, DefaultPreemption, DefaultBinder',
  provides: names.map((n) => `scheduler-plugin/${n}`),
  register(ctx) {
    // The binder is resolved when a pod is bound: the scheduler registers it after loading.
    const binder = (): PodBinder | undefined =>
      ctx.container.isRegistered(podBinderToken, true)
        ? ctx.container.resolve(podBinderToken)
        : undefined;
    for (const p of defaultPlugins(binder)) ctx.provide(schedulerPluginExtension, p.name, p);
  },
});
