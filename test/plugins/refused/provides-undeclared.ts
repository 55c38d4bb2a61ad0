// Refused while registering: provides an extension its definition does not declare.
import { definePlugin, volumeTypeExtension } from '../../../sdk/index.ts';

export default definePlugin({
  id: 'provides-undeclared',
  version: '0.1.0',
  sdk: '^1.0.0',
  provides: [],
  register(ctx) {
    ctx.provide(volumeTypeExtension, 'sneaky', {
      sourceField: 'sneaky',
      capabilities: { persistent: false, readOnlyMount: false, sizeLimit: false },
      setUp: async (req) => ({ hostPath: req.dir, readOnly: false }),
      tearDown: async () => {},
    });
  },
});
