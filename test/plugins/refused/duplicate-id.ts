// Refused next to prefer-labelled.ts: a second plugin with the same id.
import { definePlugin } from '../../../sdk/index.ts';

export default definePlugin({
  id: 'prefer-labelled',
  version: '1.1.0',
  sdk: '^1.0.0',
  provides: [],
  register(ctx) {
    ctx.logger.info('registered');
  },
});
