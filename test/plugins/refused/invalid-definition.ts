// Refused on import: definePlugin itself rejects an id that is not kebab-case.
import { definePlugin } from '../../../sdk/index.ts';

export default definePlugin({
  id: 'Acme_Quota',
  version: '0.1.0',
  sdk: '^1.0.0',
  provides: [],
  register() {},
});
