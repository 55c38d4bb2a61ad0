// The Endpoints and EndpointSlice controller as a plugin: a control-plane component, since
// pod changes must queue the Services that select them (not an owner named on the pod).
import { apiClientToken, componentExtension, definePlugin } from '../../sdk/index.ts';
import { runEndpointsController } from './controller.ts';

export { EndpointsReconciler, endpointsSources, runEndpointsController } from './controller.ts';
export { desiredSlices, endpointsSubsets, podEndpoints, resolvePort } from './desired.ts';

export default definePlugin({
  id: 'controllers-endpoints',
  version: '0.1.0',
  sdk: '^1.0.0',
  description:
    'Endpoints and EndpointSlices for every Service with a selector, from its ready pods',
  provides: ['component/endpoints'],
  requires: ['core.apiClient'],
  register(ctx) {
    const client = ctx.container.resolve(apiClientToken);
    ctx.provide(componentExtension, 'endpoints', {
      async run({ signal, logger }) {
        const running = runEndpointsController(client, { logger, signal });
        await running.finished;
      },
    });
  },
});
