// An example third-party controller plugin, loaded by path; it imports only the sdk.
// It stamps every ConfigMap carrying a label with the keys of its data, and runs only
// while it holds a Lease, so two skiff processes loading it never both write.
import { hostname } from 'node:os';
import {
  type api,
  apiClientToken,
  definePlugin,
  Informer,
  keyOf,
  LeaderElector,
  runController,
  WorkQueue,
} from '../../../sdk/index.ts';
import { reconcileStamp } from './stamp.ts';

const str = (value: unknown, fallback: string) =>
  typeof value === 'string' && value !== '' ? value : fallback;

export default definePlugin({
  id: 'example-controller',
  version: '0.1.0',
  sdk: '^1.0.0',
  description: 'stamps labelled ConfigMaps with the keys of their data',
  provides: [],
  requires: ['core.apiClient'],
  register(ctx) {
    const client = ctx.container.resolve(apiClientToken);
    const label = str(ctx.config.label, 'example.skiff.dev/stamp');
    const namespace = typeof ctx.config.namespace === 'string' ? ctx.config.namespace : undefined;
    const configMaps = (ns?: string) => ({
      group: '',
      version: 'v1',
      plural: 'configmaps',
      namespace: ns,
    });
    const informer = new Informer<api.ConfigMap>(client, configMaps(namespace), {
      labelSelector: label,
      logger: ctx.logger,
    });
    const queue = new WorkQueue();
    informer.addHandlers({
      add: (cm) => queue.add(keyOf(cm)),
      update: (_old, cm) => queue.add(keyOf(cm)),
    });
    const sources = {
      client,
      cache: informer.cache,
      synced: () => informer.hasSynced(),
      configMaps,
      label,
    };
    const stop = new AbortController();
    const elector = new LeaderElector({
      client,
      namespace: str(ctx.config.leaseNamespace, 'default'),
      name: 'example-controller',
      identity: str(ctx.config.identity, `${hostname()}-${process.pid}`),
      logger: ctx.logger,
      async onStartedLeading(signal) {
        informer.start();
        const running = runController({
          queue,
          workers: 2,
          logger: ctx.logger,
          signal,
          reconcile: (key) => reconcileStamp(sources, key),
        });
        await running.finished;
        await informer.stop();
      },
    });
    const election = elector.run(stop.signal);
    ctx.onClose(async () => {
      stop.abort();
      await election;
    });
  },
});
