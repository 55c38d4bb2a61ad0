// The plugin loaded by its built-in id, its Controller values run by the sdk's startController
// against a real `skiff server`.
import 'reflect-metadata';
import { container } from 'tsyringe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedPlugins, loadPlugins } from '../../core/plugins/loader.ts';
import {
  type api,
  apiClientToken,
  controllerExtension,
  isSkiffError,
  type KubeClient,
  type RunningController,
  startController,
} from '../../sdk/index.ts';
import { type ApiServer, startApiServer } from '../controller-kit/api-server.ts';

const silent = { debug() {}, info() {}, warn() {}, error: console.error };
const pods = { group: '', version: 'v1', plural: 'pods', namespace: 'default' };
const deployments = { group: 'apps', version: 'v1', plural: 'deployments', namespace: 'default' };

describe('the controllers-workloads plugin', () => {
  let server: ApiServer;
  let client: KubeClient;
  let loaded: LoadedPlugins | undefined;
  const running: RunningController[] = [];

  beforeAll(async () => {
    server = await startApiServer();
    client = server.client();
  }, 90_000);

  afterAll(async () => {
    await Promise.all(running.map((r) => r.stop()));
    await loaded?.close();
    client?.close();
    await server?.remove();
  });

  it('is refused where no API client is registered', async () => {
    let caught: unknown;
    try {
      await loadPlugins({
        sources: ['controllers-workloads'],
        container: container.createChildContainer(),
        logger: silent,
      });
    } catch (err) {
      caught = err;
    }
    expect(isSkiffError(caught, 'PluginMissingRequirement')).toBe(true);
  });

  it('provides controller/replicaset, controller/replicationcontroller and controller/deployment, which run a Deployment', async () => {
    const parent = container.createChildContainer();
    parent.register(apiClientToken, { useValue: client });
    loaded = await loadPlugins({
      sources: ['controllers-workloads'],
      container: parent,
      logger: silent,
    });
    const controllers = loaded.extensions(controllerExtension);
    expect([...controllers.keys()].sort()).toEqual([
      'deployment',
      'replicaset',
      'replicationcontroller',
    ]);
    for (const controller of controllers.values())
      running.push(startController({ client, controller, logger: silent }));
    await client.create<api.Deployment>(deployments, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'via-plugin' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'via-plugin' } },
        template: {
          metadata: { labels: { app: 'via-plugin' } },
          spec: { containers: [{ name: 'c', image: 'x:1' }] },
        },
      },
    });
    const deadline = Date.now() + 60_000;
    let count = 0;
    while (count !== 2) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for 2 pods (saw ${count})`);
      await new Promise((r) => setTimeout(r, 50));
      count = (await client.list<api.Pod>(pods, { labelSelector: 'app=via-plugin' })).items.length;
    }
    const d = await client.get<api.Deployment>(deployments, 'via-plugin');
    expect(d.status?.observedGeneration).toBe(d.metadata?.generation);
  });
});
