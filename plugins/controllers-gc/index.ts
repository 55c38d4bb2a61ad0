// The garbage collector and the namespace controller as a plugin.
import {
  apiClientToken,
  componentExtension,
  controllerExtension,
  definePlugin,
} from '../../sdk/index.ts';
import { GarbageCollector } from './collector.ts';
import { namespaceController } from './namespace.ts';

export { GarbageCollector, type GarbageCollectorOptions } from './collector.ts';
export { NamespaceReconciler, namespaceController } from './namespace.ts';

export default definePlugin({
  id: 'controllers-gc',
  version: '0.1.0',
  sdk: '^1.0.0',
  description: 'garbage collector (ownerReferences, propagation policies) and namespace controller',
  provides: ['component/garbage-collector', 'controller/namespace'],
  requires: ['core.apiClient'],
  register(ctx) {
    const client = ctx.container.resolve(apiClientToken);
    ctx.provide(componentExtension, 'garbage-collector', new GarbageCollector(client));
    ctx.provide(controllerExtension, 'namespace', namespaceController(client));
  },
});
