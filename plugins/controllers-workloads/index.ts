// The workload controllers as a plugin: ReplicaSet, ReplicationController and Deployment, on one
// set of informers.
import {
  apiClientToken,
  controllerExtension,
  definePlugin,
  InformerFactory,
  type KubeClient,
  type Logger,
  type RunningController,
  startController,
} from '../../sdk/index.ts';
import { deploymentController } from './deployment.ts';
import { replicaSetController, replicationControllerController } from './replicaset.ts';
import { workloadSources } from './sources.ts';

/** WorkloadControllers are the Controller values and the factory whose caches they read. */
export function workloadControllers(client: KubeClient, logger?: Logger) {
  const factory = new InformerFactory(client, { logger });
  const src = workloadSources(client, factory);
  return {
    factory,
    replicaSet: replicaSetController(src),
    replicationController: replicationControllerController(src),
    deployment: deploymentController(src),
  };
}

/**
 * runWorkloadControllers starts the controllers against a cluster until stopped; core can
 * call it under a Lease (pass that Lease's signal).
 */
export function runWorkloadControllers(
  client: KubeClient,
  options: { logger?: Logger; signal?: AbortSignal } = {},
): { stop(): Promise<void> } {
  const { factory, replicaSet, replicationController, deployment } = workloadControllers(
    client,
    options.logger,
  );
  const running: RunningController[] = [replicaSet, replicationController, deployment].map(
    (controller) =>
      startController({
        client,
        controller,
        factory,
        logger: options.logger,
        signal: options.signal,
      }),
  );
  return {
    async stop() {
      await Promise.all(running.map((r) => r.stop()));
      await factory.stop();
    },
  };
}

export default definePlugin({
  id: 'controllers-workloads',
  version: '0.1.0',
  sdk: '^1.0.0',
  description: 'ReplicaSet, ReplicationController and Deployment controllers',
  provides: ['controller/replicaset', 'controller/replicationcontroller', 'controller/deployment'],
  requires: ['core.apiClient'],
  register(ctx) {
    const client = ctx.container.resolve(apiClientToken);
    const { factory, replicaSet, replicationController, deployment } = workloadControllers(
      client,
      ctx.logger,
    );
    ctx.provide(controllerExtension, 'replicaset', replicaSet);
    ctx.provide(controllerExtension, 'replicationcontroller', replicationController);
    ctx.provide(controllerExtension, 'deployment', deployment);
    // Whoever runs the controllers starts the informers; closing stops them either way.
    ctx.onClose(() => factory.stop());
  },
});
