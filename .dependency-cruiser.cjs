/**
 * Import direction rules (DESIGN.md): plugins -> sdk <- core.
 * Run by `npm run check:imports` and by `npm test`; scripts/check-imports.test.ts
 * proves each rule fails on a violating file.
 */
module.exports = {
  forbidden: [
    {
      name: 'sdk-stands-alone',
      comment: 'sdk/ is the public surface: it may import neither core/ nor plugins/.',
      severity: 'error',
      from: { path: '^sdk/' },
      to: { path: '^(core|plugins)/' },
    },
    {
      name: 'plugins-use-only-sdk',
      comment: 'A plugin may import sdk/ and its own folder, never core/.',
      severity: 'error',
      from: { path: '^plugins/' },
      to: { path: '^core/' },
    },
    {
      name: 'plugins-are-separate',
      comment: 'A plugin may not import another plugin: share code through sdk/.',
      severity: 'error',
      from: { path: '^plugins/([^/]+)/' },
      to: { path: '^plugins/', pathNot: '^plugins/$1/' },
    },
    {
      name: 'nothing-imports-a-plugin',
      comment: 'core/ and sdk/ reach plugins only through the plugin loader, never by import.',
      severity: 'error',
      from: { path: '^(core|sdk)/' },
      to: { path: '^plugins/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js', '.json'] },
  },
};
