import { container } from 'tsyringe';
import type { KubeClient } from '../../../sdk/client/client.ts';
import { componentExtension } from '../../../sdk/component.ts';
import { InformerFactory } from '../../../sdk/controller/informer-factory.ts';
import { startController } from '../../../sdk/controller/start-controller.ts';
import { controllerExtension } from '../../../sdk/controller.ts';
import { podBinderToken, schedulerPluginExtension } from '../../../sdk/scheduler.ts';
import type { LoadedPlugins } from '../../plugins/loader.ts';
import { streamLogger } from '../../plugins/logger.ts';
import { ApiCluster } from '../../scheduler/api-cluster.ts';
import { clusterBinder } from '../../scheduler/cluster.ts';
import { Scheduler } from '../../scheduler/scheduler.ts';
import { schedulerProfiles } from './scheduler.ts';

/** ControlPlane is the scheduler and controllers `skiff up` runs in its own process. */
export interface ControlPlane {
  controllers: string[];
  /** components names the running control-plane components (component/<name>). */
  components: string[];
  /** schedulerPlugins counts the scheduler's plugins; 0 when no plugin supplies a binder. */
  schedulerPlugins: number;
  stop(): Promise<void>;
}

/**
 * startControlPlane runs the loaded plugins' controllers, on one informer factory, their
 * components, and the scheduler with the default profile plus any other loaded scheduler plugin. One `skiff up`
 * process is the only one acting, so no Lease is taken.
 */
export function startControlPlane(client: KubeClient, loaded: LoadedPlugins): ControlPlane {
  const logger = streamLogger({ level: 'warn' });
  const factory = new InformerFactory(client, { logger });
  const controllers = [...loaded.extensions(controllerExtension)];
  const running = controllers.map(([, controller]) =>
    startController({ client, controller, factory, logger }),
  );
  const abort = new AbortController();
  const components = [...loaded.extensions(componentExtension)];
  const runningComponents = components.map(([name, component]) =>
    component.run({ signal: abort.signal, logger }).catch((err: unknown) =>
      logger.error('component stopped with a fault', {
        component: name,
        error: err instanceof Error ? err.message : String(err),
      }),
    ),
  );
  const stopComponents = async () => {
    abort.abort();
    await Promise.all(runningComponents);
  };
  const plugins = loaded.extensions(schedulerPluginExtension);
  if (!plugins.has('DefaultBinder')) {
    // A cluster config without the default scheduler plugins runs no scheduler here; a
    // team's own scheduler can serve the pods instead.
    return {
      controllers: controllers.map(([name]) => name),
      components: components.map(([name]) => name),
      schedulerPlugins: 0,
      async stop() {
        await stopComponents();
        await Promise.all(running.map((r) => r.stop()));
        await factory.stop();
      },
    };
  }
  const cluster = new ApiCluster(client);
  // The DefaultBinder resolves the binder when it binds, through its container's parents.
  container.register(podBinderToken, { useValue: clusterBinder(cluster) });
  const scheduler = new Scheduler({
    cluster,
    plugins,
    profiles: schedulerProfiles(['default-scheduler'], plugins.keys()),
    onError: (err, pod) =>
      logger.warn('scheduling failed', {
        pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
        error: err instanceof Error ? err.message : String(err),
      }),
  });
  scheduler.start();
  return {
    controllers: controllers.map(([name]) => name),
    components: components.map(([name]) => name),
    schedulerPlugins: plugins.size,
    async stop() {
      await scheduler.stop();
      await stopComponents();
      await cluster.close();
      await Promise.all(running.map((r) => r.stop()));
      await factory.stop();
    },
  };
}
