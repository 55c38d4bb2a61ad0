import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type NodeFixture,
  nodeGet,
  nodeStream,
  type PodSandbox,
  runSandbox,
  startContainer,
  startNodeFixture,
  waitFor,
} from './node-fixture.ts';

// The agent's node endpoint against the real Docker adapter: runtime objects are made here the
// way the agent makes them (labels, log paths), then read back through the endpoint.

let f: NodeFixture;
let pod: PodSandbox;
const token = 'join-token-for-tests';

// The first attempt prints on both streams, then one more line once /tmp/go exists, and exits.
// Pauses between the streams: the runtime copies stdout and stderr apart, so lines printed
// at once on both may reach the log file in either order.
const firstLife =
  'echo one; sleep 0.2; echo two >&2; sleep 0.2; echo three; while [ ! -f /tmp/go ]; do sleep 0.1; done; echo later';

beforeAll(async () => {
  f = await startNodeFixture(token);
  pod = await runSandbox(f, 'web', 'uid-web-1');
});

afterAll(async () => {
  await f?.stop();
});

const logs = (query = '', container = 'main') =>
  nodeGet(f, `/containerLogs/default/web/${container}${query}`);

describe('node endpoint: containerLogs', () => {
  let first: string;

  it('serves a running container log, with tail and timestamps', async () => {
    first = await startContainer(f, pod, 'main', 0, firstLife);
    const all = await waitFor('three lines', async () => {
      const r = await logs();
      return r.body.includes('three\n') ? r : undefined;
    });
    expect(all.status).toBe(200);
    expect(all.body).toBe('one\ntwo\nthree\n');
    expect((await logs('?tailLines=1')).body).toBe('three\n');
    const stamped = (await logs('?timestamps=true&tailLines=2')).body;
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z two\n\S+Z three\n$/);
    expect((await logs('?limitBytes=5')).body).toBe('one\nt');
  });

  it('follow receives a line written later and ends when the container exits', async () => {
    let seen = '';
    const followed = nodeGet(f, '/containerLogs/default/web/main?follow=true', {
      onData: (text) => {
        seen = text;
      },
    });
    await waitFor('the first lines of the follow', async () =>
      seen.includes('three\n') ? true : undefined,
    );
    const touched = await f.runtime.execSync({
      containerId: first,
      cmd: ['touch', '/tmp/go'],
      timeout: 10,
    });
    expect(touched.exitCode).toBe(0);
    const r = await followed;
    expect(r.status).toBe(200);
    expect(r.body).toBe('one\ntwo\nthree\nlater\n');
  });

  it('previous reads the attempt before the current one', async () => {
    expect((await logs('?previous=true')).status).toBe(400);
    expect((await logs('?previous=true')).body).toBe(
      'previous terminated container "main" in pod "web" not found',
    );
    await startContainer(f, pod, 'main', 1, 'echo second life; exec sleep 3600');
    await waitFor('the second attempt to log', async () =>
      (await logs()).body === 'second life\n' ? true : undefined,
    );
    const prev = await logs('?previous=true');
    expect(prev.status).toBe(200);
    expect(prev.body).toBe('one\ntwo\nthree\nlater\n');
  });

  it('refuses what kubelet refuses, with its messages', async () => {
    expect(await logs('', 'absent')).toEqual({
      status: 400,
      body: 'container "absent" in pod "web" is waiting to start: ContainerCreating',
    });
    expect(await nodeGet(f, '/containerLogs/default/nope/main')).toEqual({
      status: 404,
      body: 'pod "nope" does not exist',
    });
    expect(await logs('?tailLines=-2')).toEqual({
      status: 400,
      body: 'tailLines: Invalid value: -2: must be greater than or equal to 0',
    });
    expect(await nodeGet(f, '/containerLogs/default/web/main', { token: 'wrong' })).toEqual({
      status: 401,
      body: 'Unauthorized',
    });
  });
});

const exec = (cmd: string[], flags = 'stdout=true&stderr=true') =>
  `/exec/default/web/main?${cmd.map((c) => `command=${encodeURIComponent(c)}`).join('&')}&${flags}`;

describe('node endpoint: exec over WebSocket v5', () => {
  it('echo hi: stdout and a Success status', async () => {
    const s = await nodeStream(f, exec(['echo', 'hi']));
    expect(s.protocol).toBe('v5.channel.k8s.io');
    expect(s.out).toBe('hi\n');
    expect(s.status).toEqual({ metadata: {}, status: 'Success' });
  });

  it('a non-zero exit comes back as the exit code on the status channel', async () => {
    const s = await nodeStream(f, exec(['sh', '-c', 'echo oops >&2; exit 3']));
    expect(s.err).toBe('oops\n');
    expect(s.status).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });

  it('stdin reaches a command on a terminal and its echo comes back', async () => {
    const s = await nodeStream(f, exec(['cat'], 'stdin=true&stdout=true&tty=true'), (ws, got) => {
      ws.send(Buffer.from([4, ...Buffer.from('{"Width":80,"Height":24}')]));
      ws.send(Buffer.from([0, ...Buffer.from('typed\n')]));
      const check = setInterval(() => {
        // cat prints the line back after the terminal's own echo; then end of input ends it.
        if (got.out.split('typed').length >= 3) {
          clearInterval(check);
          ws.send(Buffer.from([0, 4]));
        }
      }, 50);
      ws.on('close', () => clearInterval(check));
    });
    expect(s.out.replace(/\r/g, '')).toContain('typed\ntyped\n');
    expect(s.status).toEqual({ metadata: {}, status: 'Success' });
  });

  it('a missing container is a 404 before the upgrade, and a bad token a 401', async () => {
    const missing = await nodeStream(f, '/exec/default/web/absent?command=true&stdout=true');
    expect(missing.refused).toBe(404);
    expect(missing.out).toBe('container not found ("absent")');
    const bad = await nodeStream(f, exec(['true']), () => undefined, 'wrong');
    expect(bad.refused).toBe(401);
  });
});

describe('node endpoint: attach over WebSocket v5', () => {
  it("attach writes to the main process's stdin and reads its output", async () => {
    await startContainer(f, pod, 'reader', 0, 'while read l; do echo "got $l"; done', true);
    const s = await nodeStream(
      f,
      '/attach/default/web/reader?stdin=true&stdout=true&stderr=true',
      (ws, got) => {
        ws.send(Buffer.from([0, ...Buffer.from('hi\n')]));
        const check = setInterval(() => {
          if (!got.out.includes('got hi\n')) return;
          clearInterval(check);
          ws.close(1000);
        }, 50);
        ws.on('close', () => clearInterval(check));
      },
    );
    expect(s.protocol).toBe('v5.channel.k8s.io');
    expect(s.out).toBe('got hi\n');
  });
});
