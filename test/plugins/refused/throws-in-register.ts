// Fails while registering, after the plugins before it have registered.
import { definePlugin } from '../../../sdk/index.ts';

export default definePlugin({
  id: 'throws-in-register',
  version: '0.1.0',
  sdk: '^1.0.0',
  provides: [],
  register() {
    throw new Error('cannot reach the acme control plane');
  },
});
