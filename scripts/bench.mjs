#!/usr/bin/env node
// `npm run bench -- NAME`: runs bench/NAME/main.ts (or bench/NAME.ts), which prints its figures
// and ends with a one-line summary. Benchmarks are never part of `npm test`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [name, ...rest] = process.argv.slice(2);
const candidates = name
  ? [join(root, 'bench', name, 'main.ts'), join(root, 'bench', `${name}.ts`)]
  : [];
const entry = candidates.find((p) => existsSync(p));
if (!entry) {
  const known = readdirSync(join(root, 'bench'))
    .filter((f) => !f.startsWith('.') && !f.endsWith('.md'))
    .map((f) => f.replace(/\.ts$/, ''));
  process.stderr.write(
    `usage: npm run bench -- NAME   (known: ${known.join(', ') || 'none yet'})\n`,
  );
  process.exit(2);
}
const r = spawnSync(
  join(root, 'node_modules', '.bin', 'tsx'),
  ['--tsconfig', join(root, 'tsconfig.json'), entry, ...rest],
  { cwd: root, stdio: 'inherit' },
);
process.exit(r.status ?? 1);
