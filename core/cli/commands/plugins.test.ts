import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const examples = join(root, 'test', 'plugins');
const scratch = mkdtempSync(join(tmpdir(), 'skiff-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// Runs the real `skiff` command, as a user would, and collects its output and exit code.
function skiff(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(root, 'core', 'cli', 'skiff.mjs'), ...args],
      { cwd: scratch },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

// Each run starts Node and tsx; on a busy machine that takes seconds.
const slow = { timeout: 60_000 };

describe('skiff plugins', slow, () => {
  it('check exits 1 and names plugin, versions and fix for a plugin built for sdk ^2', async () => {
    const r = await skiff(
      'plugins',
      'check',
      '--config',
      join(examples, 'refused', 'needs-sdk-2.yaml'),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'refused (PluginIncompatible): plugin "acme-scheduler" 2.1.0 needs sdk ^2.0.0 but this skiff provides sdk 1.0.0: install a version of acme-scheduler built for sdk 1.x, or upgrade skiff',
    );
  });

  it('check exits 0 for compatible plugins', async () => {
    const r = await skiff('plugins', 'check', '-c', join(examples, 'example.yaml'));
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      `ok: 2 plugins from cluster config ${join(examples, 'example.yaml')} load on sdk 1.0.0\n`,
    );
  });

  it('list prints id, version, sdk range, source and provides of each plugin', async () => {
    const r = await skiff('plugins', 'list', '--config', join(examples, 'example.yaml'));
    expect(r.code).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s{2,}/));
    expect(rows).toEqual([
      ['ID', 'VERSION', 'SDK', 'SOURCE', 'PROVIDES'],
      [
        'prefer-labelled',
        '1.0.0',
        '^1.0.0',
        './prefer-labelled.ts (path)',
        'scheduler-plugin/PreferLabelled',
      ],
      ['acme-volume', '0.3.0', '^1.0.0', './acme-volume (path)', 'volume-type/acme-scratch'],
    ]);
  });

  it('list refuses a bad cluster config with the line of the mistake', async () => {
    const file = join(scratch, 'bad.yaml');
    writeFileSync(file, 'apiVersion: skiff.dev/v1alpha1\nkind: ClusterConfig\nplugins:\n  - 42\n');
    const r = await skiff('plugins', 'list', '--config', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file} is invalid: line 4: plugins[0] must be a plugin source`);
  });
});

describe('skiff up', slow, () => {
  it('stops with exit 1 and the refusal when a plugin is built for another sdk', async () => {
    const r = await skiff('up', '--config', join(examples, 'refused', 'needs-sdk-2.yaml'));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('skiff: plugin "acme-scheduler" 2.1.0 needs sdk ^2.0.0');
  });

  it('documents --config in --help of up, plugins list and plugins check', async () => {
    const runs = await Promise.all(
      [['up'], ['plugins', 'list'], ['plugins', 'check']].map((cmd) => skiff(...cmd, '--help')),
    );
    for (const r of runs) {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: skiff (up|plugins list|plugins check) \[options\]/);
      expect(r.stdout).toContain('-c, --config <file>');
    }
  });
});
