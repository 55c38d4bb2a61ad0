import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type LogWriteOptions,
  logQueryString,
  parseCriLine,
  parseLogQuery,
  writeContainerLog,
} from './logs.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-logs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function logFile(text: string): string {
  n += 1;
  const path = join(dir, `${n}.log`);
  writeFileSync(path, text);
  return path;
}

async function read(path: string, opts: Partial<LogWriteOptions> = {}): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await writeContainerLog(path, out, { follow: false, timestamps: false, ...opts });
  return Buffer.concat(chunks).toString('utf8');
}

const t = (s: number) => `2026-01-02T03:04:${String(s).padStart(2, '0')}.123456789Z`;
const sample = [
  `${t(1)} stdout F one`,
  `${t(2)} stderr F two`,
  `${t(3)} stdout P thr`,
  `${t(4)} stderr F four`,
  `${t(5)} stdout F ee`,
  `${t(6)} stdout F `,
  `${t(7)} stdout F last`,
  '',
].join('\n');

describe('parseCriLine', () => {
  it.each([
    [
      `${t(1)} stdout F hi there`,
      { time: t(1), stream: 'stdout', partial: false, text: 'hi there' },
    ],
    [`${t(1)} stderr P  lead`, { time: t(1), stream: 'stderr', partial: true, text: ' lead' }],
    [`${t(1)} stdout F`, { time: t(1), stream: 'stdout', partial: false, text: '' }],
    ['garbage', undefined],
    [`${t(1)} stdin F x`, undefined],
  ])('%s', (line, want) => {
    expect(parseCriLine(line)).toEqual(want);
  });
});

describe('writeContainerLog', () => {
  it('prints the messages of both streams, joining partial lines', async () => {
    expect(await read(logFile(sample))).toBe('one\ntwo\nfour\nthree\n\nlast\n');
  });

  it('prefixes each line with the time of its first record when asked', async () => {
    expect(await read(logFile(sample), { timestamps: true })).toBe(
      `${t(1)} one\n${t(2)} two\n${t(4)} four\n${t(3)} three\n${t(6)} \n${t(7)} last\n`,
    );
  });

  it.each([
    [0, ''],
    [1, 'last\n'],
    [3, 'three\n\nlast\n'],
    [100, 'one\ntwo\nfour\nthree\n\nlast\n'],
  ])('tailLines=%i keeps the last lines', async (tailLines, want) => {
    expect(await read(logFile(sample), { tailLines })).toBe(want);
  });

  it('drops lines older than since', async () => {
    expect(await read(logFile(sample), { since: new Date(t(4)) })).toBe('four\n\nlast\n');
  });

  it.each([
    [1, 'o'],
    [5, 'one\nt'],
    [8, 'one\ntwo\n'],
  ])('limitBytes=%i cuts the output at that many bytes', async (limitBytes, want) => {
    expect(await read(logFile(sample), { limitBytes })).toBe(want);
  });

  it('prints a partial line left open at the end, and skips a torn last record', async () => {
    expect(await read(logFile(`${t(1)} stdout P half\n${t(2)} stdout F torn`))).toBe('half');
  });

  it('an absent file is an empty log', async () => {
    expect(await read(join(dir, 'absent.log'))).toBe('');
  });

  it('follow streams lines appended later and ends once the container exited', async () => {
    const path = logFile(`${t(0)} stdout F dropped\n${t(1)} stdout F before\n`);
    const out = new PassThrough();
    let text = '';
    const seen = (what: string) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!text.includes(what)) return;
          out.off('data', check);
          resolve();
        };
        out.on('data', check);
      });
    out.on('data', (c: Buffer) => {
      text += c.toString();
    });
    let exited = false;
    const first = seen('before\n');
    const done = writeContainerLog(path, out, {
      follow: true,
      timestamps: false,
      tailLines: 1,
      exited: async () => exited,
      pollMs: 50,
    });
    await first;
    const later = seen('after\n');
    appendFileSync(path, `${t(2)} stdout P aft`);
    appendFileSync(path, `\n${t(3)} stdout F er\n${t(4)} stderr F more\n`);
    await later;
    expect(text.startsWith('before\nafter\n')).toBe(true);
    exited = true;
    await done;
    expect(text).toBe('before\nafter\nmore\n');
  });

  it('follow ends when the client goes', async () => {
    const path = logFile(`${t(1)} stdout F only\n`);
    const abort = new AbortController();
    const out = new PassThrough();
    out.resume();
    const done = writeContainerLog(path, out, {
      follow: true,
      timestamps: false,
      signal: abort.signal,
      exited: async () => false,
    });
    abort.abort();
    await expect(done).resolves.toBeUndefined();
  });
});

describe('parseLogQuery', () => {
  it('reads and writes back every option', () => {
    const r = parseLogQuery(
      new URLSearchParams('follow=true&previous=true&timestamps=true&tailLines=0&limitBytes=9'),
    );
    expect(r).toEqual({
      ok: true,
      query: { follow: true, previous: true, timestamps: true, tailLines: 0, limitBytes: 9 },
    });
    if (r.ok)
      expect(logQueryString(r.query)).toBe(
        'follow=true&previous=true&timestamps=true&tailLines=0&limitBytes=9',
      );
  });

  it.each([
    ['tailLines=-1', 'tailLines: Invalid value: -1: must be greater than or equal to 0'],
    ['limitBytes=0', 'limitBytes: Invalid value: 0: must be greater than 0'],
    ['sinceSeconds=x', 'sinceSeconds: Invalid value: "x": not an integer'],
    ['sinceTime=yesterday', 'sinceTime: Invalid value: "yesterday": not an RFC 3339 time'],
    [
      'sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z',
      'at most one of `sinceTime` or `sinceSeconds` may be specified',
    ],
  ])('%s is refused', (q, message) => {
    expect(parseLogQuery(new URLSearchParams(q))).toEqual({ ok: false, message });
  });
});
