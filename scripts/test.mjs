#!/usr/bin/env node
// `npm test`: lint and format, type check, import-direction check, then every vitest suite
// (unit tests first, then the suites that start real daemons). Extra arguments go to vitest.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const vitestArgs = process.argv.slice(2);
const sourceDirs = ['sdk', 'core', 'plugins', 'test', 'bench'].filter((d) =>
  existsSync(join(root, d)),
);

function step(title, cmd, args) {
  process.stdout.write(`\n== ${title}\n`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  process.stdout.write(
    `== ${title}: ${r.status === 0 ? 'ok' : 'FAILED'} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
  );
  return r.status === 0;
}

const checks = [
  ['lint and format (biome)', bin('biome'), ['check', '.']],
  ['types (tsc)', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']],
  [
    'import directions (dependency-cruiser)',
    bin('depcruise'),
    ['--config', '.dependency-cruiser.cjs', ...sourceDirs],
  ],
];
const failed = checks.filter(([title, cmd, args]) => !step(title, cmd, args)).map(([t]) => t);

const out = mkdtempSync(join(tmpdir(), 'skiff-test-'));
const report = join(out, 'vitest.json');
const ok = step('tests (vitest)', bin('vitest'), [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...vitestArgs,
]);
if (!ok) failed.push('tests');
let passed = 0;
let failedTests = 0;
let skipped = 0;
try {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed = r.numPassedTests;
  failedTests = r.numFailedTests;
  skipped = r.numPendingTests + r.numTodoTests;
} catch {
  failed.push('vitest report unreadable');
}
rmSync(out, { recursive: true, force: true });
if (skipped > 0) failed.push(`${skipped} skipped tests (no test may be skipped)`);
if (failed.length > 0) process.stdout.write(`\nfailed steps: ${failed.join(', ')}\n`);
process.stdout.write(`${passed} passed, ${failedTests} failed\n`);
process.exit(failed.length > 0 ? 1 : 0);
