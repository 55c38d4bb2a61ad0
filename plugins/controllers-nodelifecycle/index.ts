// The node lifecycle controller as a plugin: node health from Leases, not-ready and
// unreachable taints, and taint-based eviction.
import {
  apiClientToken,
  controllerExtension,
  definePlugin,
  InformerFactory,
  type KubeClient,
  type Logger,
  startController,
} from '../../sdk/index.ts';
import { nodeLifecycleController, nodeLifecycleSources } from './controller.ts';
import { type NodeLifecycleOptions, nodeLifecycleOptions } from './options.ts';

/** runNodeLifecycle starts the controller against a cluster until stopped. */
export function runNodeLifecycle(
  client: KubeClient,
  options: { values?: Record<string, unknown>; logger?: Logger; signal?: AbortSignal } = {},
): { stop(): Promise<void> } {
  const opts: NodeLifecycleOptions = nodeLifecycleOptions(options.values ?? {});
  const factory = new InformerFactory(client, { logger: options.logger });
  const src = nodeLifecycleSources(client, factory, options.logger);
  const running = startController({
    client,
    controller: nodeLifecycleController(src, opts),
    factory,
    logger: options.logger,
    signal: options.signal,
  });
  return {
    async stop() {
      await running.stop();
      await factory.stop();
    },
  };
}

export default definePlugin({
  id: 'controllers-nodelifecycle',
  version: '0.1.0',
  sdk: '^1.0.0',
  description: 'Node lifecycle: NotReady/unreachable taints from Leases and taint-based eviction',
  provides: ['controller/nodelifecycle'],
  requires: ['core.apiClient'],
  register(ctx) {
    const opts = nodeLifecycleOptions(ctx.config);
    const client = ctx.container.resolve(apiClientToken);
    const factory = new InformerFactory(client, { logger: ctx.logger });
    const src = nodeLifecycleSources(client, factory, ctx.logger);
    ctx.provide(controllerExtension, 'nodelifecycle', nodeLifecycleController(src, opts));
    // Whoever runs the controller starts the informers; closing stops them either way.
    ctx.onClose(() => factory.stop());
  },
});
