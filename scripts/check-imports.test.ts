import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** cruise lays out a small tree and runs the project's import rules over it. */
function cruise(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-imports-'));
  scratch.push(dir);
  const tree = {
    'sdk/index.ts': 'export const sdk = 1;\n',
    'core/main.ts': "import { sdk } from '../sdk/index.ts';\nexport const core = sdk;\n",
    'plugins/a/index.ts': "import { sdk } from '../../sdk/index.ts';\nexport const a = sdk;\n",
    'plugins/b/index.ts': "import { sdk } from '../../sdk/index.ts';\nexport const b = sdk;\n",
    ...files,
  };
  for (const [path, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  writeFileSync(
    join(dir, 'tsconfig.json'),
    '{"compilerOptions":{"allowImportingTsExtensions":true,"noEmit":true}}',
  );
  const r = spawnSync(
    join(root, 'node_modules', '.bin', 'depcruise'),
    ['--config', join(root, '.dependency-cruiser.cjs'), 'sdk', 'core', 'plugins'],
    { cwd: dir, encoding: 'utf8' },
  );
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

// Each case spawns dependency-cruiser (about a second alone, several on a loaded machine).
describe('import direction check', { timeout: 60_000 }, () => {
  it('passes a tree that follows plugins -> sdk <- core', () => {
    const r = cruise({});
    expect(r.output).toContain('no dependency violations');
    expect(r.status).toBe(0);
  });

  it.each([
    [
      'sdk-stands-alone',
      'sdk/bad.ts',
      "import { core } from '../core/main.ts';\nexport const x = core;\n",
    ],
    [
      'plugins-use-only-sdk',
      'plugins/a/bad.ts',
      "import { core } from '../../core/main.ts';\nexport const x = core;\n",
    ],
    [
      'plugins-are-separate',
      'plugins/a/bad.ts',
      "import { b } from '../b/index.ts';\nexport const x = b;\n",
    ],
    [
      'nothing-imports-a-plugin',
      'core/bad.ts',
      "import { a } from '../plugins/a/index.ts';\nexport const x = a;\n",
    ],
  ])('fails on a file that breaks %s', (rule, path, text) => {
    const r = cruise({ [path]: text });
    expect(r.status).not.toBe(0);
    expect(r.output).toContain(rule);
    expect(r.output).toContain(path);
  });
});
