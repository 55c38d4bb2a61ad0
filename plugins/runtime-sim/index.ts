import { definePlugin } from '../../sdk/plugin.ts';
import { runtimeExtension } from '../../sdk/runtime/adapter.ts';
import { SimRuntime, simOptions } from './adapter.ts';

/** runtimeSim is the built-in plugin that provides the in-memory sim runtime. */
export default definePlugin({
  id: 'runtime-sim',
  version: '0.1.0',
  sdk: '^1.0.0',
  description: 'In-memory runtime: sandboxes and containers are records that start at once',
  provides: ['runtime/sim'],
  register(ctx) {
    ctx.provide(runtimeExtension, 'sim', async ({ config }) => {
      return new SimRuntime(simOptions({ ...ctx.config, ...config }));
    });
  },
});
