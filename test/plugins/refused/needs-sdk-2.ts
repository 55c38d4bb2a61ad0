// Refused: built for sdk 2, which this skiff does not provide.
import { definePlugin, schedulerPluginExtension } from '../../../sdk/index.ts';

export default definePlugin({
  id: 'acme-scheduler',
  version: '2.1.0',
  sdk: '^2.0.0',
  provides: ['scheduler-plugin/AcmeSpread'],
  register(ctx) {
    ctx.provide(schedulerPluginExtension, 'AcmeSpread', { name: 'AcmeSpread' });
  },
});
