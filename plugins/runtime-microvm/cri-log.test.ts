import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processOf } from './containers.ts';
import { CriLogFile } from './cri-log.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-microvm-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const records = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l)
    .map((l) => {
      const [time, stream, tag, ...rest] = l.split(' ');
      expect(Number.isNaN(Date.parse(time!))).toBe(false);
      return [stream, tag, rest.join(' ')];
    });

describe('CriLogFile', () => {
  it('writes complete lines per stream, joins chunks, and flushes the rest on close', () => {
    const path = join(dir, 'sub', 'c.log');
    const log = new CriLogFile(path);
    log.write('stdout', Buffer.from('hel'));
    log.write('stderr', Buffer.from('oops\n'));
    log.write('stdout', Buffer.from('lo\nsecond line\nno newline'));
    expect(records(path)).toEqual([
      ['stderr', 'F', 'oops'],
      ['stdout', 'F', 'hello'],
      ['stdout', 'F', 'second line'],
    ]);
    log.close();
    expect(records(path).at(-1)).toEqual(['stdout', 'F', 'no newline']);
    log.close();
  });

  it('cuts a line past 16 KiB into partial records', () => {
    const path = join(dir, 'long.log');
    const log = new CriLogFile(path);
    log.write('stdout', Buffer.from(`${'x'.repeat(20_000)}\n`));
    log.close();
    expect(records(path).map(([s, t, m]) => [s, t, m!.length])).toEqual([
      ['stdout', 'P', 16_384],
      ['stdout', 'F', 20_000 - 16_384],
    ]);
  });
});

describe('processOf', () => {
  const image = {
    config: {
      Entrypoint: ['/entry'],
      Cmd: ['default'],
      Env: ['PATH=/bin', 'A=image'],
      WorkingDir: '/w',
    },
  };
  const base = { command: [], args: [], envs: [], workingDir: '' };
  it.each([
    ['image defaults', base, ['/entry', 'default']],
    ['args replace cmd', { ...base, args: ['x'] }, ['/entry', 'x']],
    ['command replaces both', { ...base, command: ['sh'] }, ['sh']],
    ['command and args', { ...base, command: ['sh', '-c'], args: ['echo'] }, ['sh', '-c', 'echo']],
  ])('%s', (_name, config, argv) => {
    expect(processOf(config, image).argv).toEqual(argv);
  });

  it('overrides image env by key and keeps the image working dir unless given', () => {
    const p = processOf(
      {
        ...base,
        envs: [
          { key: 'A', value: 'pod' },
          { key: 'B', value: '' },
        ],
      },
      image,
    );
    expect(p.env).toEqual(['PATH=/bin', 'A=pod', 'B=']);
    expect(p.cwd).toBe('/w');
    expect(processOf({ ...base, workingDir: '/etc' }, image).cwd).toBe('/etc');
    expect(processOf(base, {}).cwd).toBe('/');
  });
});
