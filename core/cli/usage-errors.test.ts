import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const skiff = join(dirname(fileURLToPath(import.meta.url)), 'skiff.mjs');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [skiff, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('skiff usage errors', () => {
  it.each([
    [
      'an InvalidArgumentError thrown by an action',
      [
        'agent',
        '--server',
        'http://127.0.0.1:1',
        '--token',
        't',
        '--runtime',
        'x',
        '--port',
        '99999',
      ],
      'error: --port 99999: use a port number from 0 to 65535\n',
    ],
    [
      'an argParser refusal',
      ['scheduler', '--percentage-of-nodes-to-score', '101'],
      "error: option '--percentage-of-nodes-to-score <n>' argument '101' is invalid. must be a whole number from 0 to 100 (0: adaptive)\n",
    ],
    ['an unknown command', ['no-such-command'], "error: unknown command 'no-such-command'\n"],
  ])('%s prints one error line on stderr and exits 1', (_name, args, first) => {
    const r = run(...args);
    expect(r.code).toBe(1);
    expect(r.stderr.startsWith(first)).toBe(true);
    expect(r.stderr.split('error: ')).toHaveLength(2);
  });

  it('keeps --version quiet on stderr with exit code 0', () => {
    const r = run('--version');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).not.toBe('');
  });
});
