import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { connectRuntime } from '../../../sdk/runtime/client.ts';

const skiff = fileURLToPath(new URL('../skiff.mjs', import.meta.url));
const plugin = fileURLToPath(
  new URL('../../../test/conformance/runtime/fixtures/memory-runtime-plugin.ts', import.meta.url),
);
const dir = mkdtempSync(join(tmpdir(), 'skiff-runtime-cmd-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor(what: string, check: () => boolean, child: ChildProcess, log: () => string) {
  for (let i = 0; i < 300; i++) {
    if (check()) return;
    if (child.exitCode !== null) throw new Error(`skiff exited early: ${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}: ${log()}`);
}

describe('skiff runtime NAME --listen unix:///path', () => {
  it('serves the plugin runtime on a 0600 socket and stops gracefully on SIGTERM', async () => {
    const socket = join(dir, 'run', 'memory.sock');
    const child = spawn(
      process.execPath,
      [
        skiff,
        'runtime',
        'memory',
        '--plugin',
        plugin,
        '--listen',
        `unix://${socket}`,
        '--state-dir',
        '/var/lib/x',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    await waitFor(
      'the socket',
      () => existsSync(socket),
      child,
      () => output,
    );
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    const client = connectRuntime(`unix://${socket}`, { timeoutMs: 10_000 });
    try {
      await client.waitForReady(10_000);
      const version = await client.version({});
      expect(version).toMatchObject({ runtimeName: 'skiff-memory', runtimeVersion: '/var/lib/x' });
      const { podSandboxId } = await client.runPodSandbox({ config: { metadata: { name: 'p' } } });
      expect((await client.listPodSandbox({})).items.map((s) => s.id)).toEqual([podSandboxId]);
    } finally {
      client.close();
    }
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(socket)).toBe(false);
    expect(output).toContain('stopping');
  });

  it.each([
    [
      ['runtime', 'memory', '--plugin', plugin, '--listen', 'tcp://127.0.0.1:9'],
      /unix:\/\/\/absolute\/path/,
    ],
    [
      [
        'runtime',
        'memory',
        '--plugin',
        plugin,
        '--listen',
        `unix://${dir}/x.sock`,
        '-o',
        'novalue',
      ],
      /not key=value/,
    ],
    [
      ['runtime', 'other', '--plugin', plugin, '--listen', `unix://${dir}/y.sock`],
      /provides no runtime\/other/,
    ],
    [['runtime', 'nosuch', '--listen', `unix://${dir}/z.sock`], /runtime-nosuch/],
    [['runtime', 'memory'], /--listen/],
  ])('refuses %j with a message and exit code 1', (args, message) => {
    const r = spawnSync(process.execPath, [skiff, ...args], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(dir, 'x.sock')) || existsSync(join(dir, 'y.sock'))).toBe(false);
  });
});
