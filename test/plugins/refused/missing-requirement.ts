// Refused: needs a volume type that no configured plugin provides.
import { definePlugin } from '../../../sdk/index.ts';

export default definePlugin({
  id: 'nfs-backup',
  version: '0.1.0',
  sdk: '^1.0.0',
  provides: [],
  requires: ['volume-type/nfs'],
  register(ctx) {
    ctx.logger.info('registered');
  },
});
