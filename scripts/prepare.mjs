#!/usr/bin/env node
// Installs what `npm start` or `npm test` needs and is missing: node modules, then (as root on
// Debian) the Debian packages, saying what it installs and why. Usage: prepare.mjs start|test
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mode = process.argv[2] ?? 'test';
const say = (line) => process.stdout.write(`prepare: ${line}\n`);

function nodeModulesCurrent() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(marker)) return false;
  const lock = join(root, 'package-lock.json');
  return (
    statSync(marker).mtimeMs >=
    statSync(existsSync(lock) ? lock : join(root, 'package.json')).mtimeMs
  );
}

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    say(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

if (!nodeModulesCurrent()) {
  say(
    'installing node modules (npm install; the SQLite binding builds from source, about a minute)',
  );
  // `npm install`, not `npm ci`: the lock file leaves out other platforms' optional binaries,
  // which `npm ci` then reports as out of sync.
  run('npm', ['install', '--no-audit', '--no-fund']);
}

const catalogue = JSON.parse(readFileSync(join(root, 'scripts', 'debian-packages.json'), 'utf8'));
const wanted = catalogue[mode] ?? catalogue.test;
const isDebian = existsSync('/etc/debian_version');

function installed(pkg) {
  try {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
    const status = execFileSync('dpkg-query', ['-W', '--showformat=${Status}', pkg], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return status.includes('install ok installed');
  } catch {
    return false;
  }
}

if (isDebian) {
  const missing = wanted.filter((p) => !installed(p));
  if (missing.length > 0) {
    const line = `apt-get install -y ${missing.join(' ')}`;
    if (process.getuid?.() === 0) {
      for (const p of missing) say(`installing ${p}: ${catalogue.why[p] ?? ''}`);
      run('apt-get', ['update', '-qq']);
      run('apt-get', ['install', '-y', '-qq', ...missing], { DEBIAN_FRONTEND: 'noninteractive' });
    } else {
      say(
        `missing Debian packages for \`npm ${mode}\`; as root, run:\n  apt-get update && ${line}`,
      );
      process.exit(1);
    }
  }
} else {
  say(`not a Debian machine: install the equivalents of ${wanted.join(', ')} yourself`);
}
