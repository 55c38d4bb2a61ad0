import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isSkiffError, type SkiffError } from '../../sdk/errors.ts';
import { builtinPluginIds } from '../plugins/builtins.ts';
import { defaultClusterConfig, parseClusterConfig, readClusterConfig } from './cluster-config.ts';

const head = 'apiVersion: skiff.dev/v1alpha1\nkind: ClusterConfig\n';

function invalid(text: string): SkiffError {
  try {
    parseClusterConfig(text, { file: '/etc/skiff/cluster.yaml' });
  } catch (err) {
    expect(isSkiffError(err, 'Invalid')).toBe(true);
    return err as SkiffError;
  }
  throw new Error('the config was accepted');
}

describe('parseClusterConfig', () => {
  it('normalizes plugin entries and resolves from the file directory', () => {
    const config = parseClusterConfig(
      `${head}plugins:\n  - runtime-docker\n  - source: ./mine.ts\n    config:\n      label: fast\nstore:\n  kind: sqlite\n`,
      { file: '/etc/skiff/cluster.yaml' },
    );
    expect(config.plugins).toEqual([
      { source: 'runtime-docker', config: {} },
      { source: './mine.ts', config: { label: 'fast' } },
    ]);
    expect(config.store).toEqual({ kind: 'sqlite' });
    expect(config.baseDir).toBe('/etc/skiff');
    expect(config.file).toBe('/etc/skiff/cluster.yaml');
  });

  it.each<[string, string, string[]]>([
    [
      'wrong apiVersion',
      'apiVersion: v1\nkind: ClusterConfig\nplugins: []\n',
      ['line 1: apiVersion must be "skiff.dev/v1alpha1"'],
    ],
    [
      'wrong kind',
      'apiVersion: skiff.dev/v1alpha1\nkind: Pod\nplugins: []\n',
      ['line 2: kind must be "ClusterConfig"'],
    ],
    ['missing plugins', head, ['plugins is required']],
    [
      'plugins not a list',
      `${head}plugins: runtime-docker\n`,
      ['line 3: plugins must be a list of plugin sources'],
    ],
    [
      'an entry of the wrong type',
      `${head}plugins:\n  - runtime-docker\n  - 42\n`,
      [
        'line 5: plugins[1] must be a plugin source (built-in id, path or package name) or a mapping { source, config }',
      ],
    ],
    [
      'an unknown field in an entry',
      `${head}plugins:\n  - source: ./x.ts\n    confg: {}\n`,
      [
        'line 4: plugins[0] must be a plugin source (built-in id, path or package name) or a mapping { source, config }',
      ],
    ],
    [
      'an unknown top-level field',
      `${head}plugins: []\nplugin: []\n`,
      ['line 4: plugin is not a known field'],
    ],
    [
      'store not a mapping',
      `${head}plugins: []\nstore: sqlite\n`,
      ['line 4: store must be a mapping of settings'],
    ],
  ])('refuses %s, naming the line and field', (_, text, messages) => {
    const err = invalid(text);
    expect(err.causes.map((c) => c.message)).toEqual(messages);
    expect(err.message).toContain('/etc/skiff/cluster.yaml is invalid: ');
  });

  it('refuses text that is not YAML, with the line', () => {
    const err = invalid(`${head}plugins: [a, b\n`);
    expect(err.message).toMatch(/^\/etc\/skiff\/cluster\.yaml is not valid YAML: line \d+: /);
  });
});

describe('readClusterConfig and defaultClusterConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file and answers NotFound for a missing one', async () => {
    writeFileSync(join(dir, 'c.yaml'), `${head}plugins: [a-plugin]\n`);
    await expect(readClusterConfig(join(dir, 'c.yaml'))).resolves.toMatchObject({
      baseDir: dir,
      plugins: [{ source: 'a-plugin', config: {} }],
    });
    await expect(readClusterConfig(join(dir, 'none.yaml'))).rejects.toMatchObject({
      code: 'NotFound',
      message: expect.stringContaining(
        `cannot read cluster config ${join(dir, 'none.yaml')}: ENOENT`,
      ),
    });
  });

  it('lists every built-in plugin by default', async () => {
    const config = await defaultClusterConfig();
    expect(config.plugins.map((p) => p.source)).toEqual(await builtinPluginIds());
    expect(config.file).toBeUndefined();
  });
});
