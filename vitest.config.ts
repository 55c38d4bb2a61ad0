import { defineConfig } from 'vitest/config';

// Parameter decorators (`@inject(token)`) need the legacy decorator transform;
// no decorator metadata is emitted, so every injection names its token.
const decorators = { oxc: { decorator: { legacy: true, emitDecoratorMetadata: false } } };

export default defineConfig({
  ...decorators,
  test: {
    // Unit tests sit beside the code; suites that start real daemons live in test/
    // and in files named *.int.test.ts, and run one file at a time after the unit tests.
    projects: [
      {
        ...decorators,
        test: {
          name: 'unit',
          // Generous: CI machines have two cores and the integration suites share them.
          testTimeout: 30_000,
          include: ['{sdk,core,plugins,scripts}/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        ...decorators,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts', '**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
