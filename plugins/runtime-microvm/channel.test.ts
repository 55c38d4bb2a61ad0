import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GuestChannel } from './channel.ts';
import {
  decodeFields,
  encodeFields,
  encodeFrame,
  type Field,
  type Frame,
  FrameReader,
  fieldValue,
  frameType,
} from './guest/frames.ts';

// The real agent runs in guest.int.test.ts; this peer scripts the answers the channel must
// cope with but a healthy guest rarely gives (refusals, silence, a dropped connection).
type Script = (frame: Frame, fields: Field[], reply: (b: Buffer) => void, sock: Socket) => void;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function peer(script: Script): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-channel-test-'));
  const path = join(dir, 'agent.sock');
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    const reader = new FrameReader();
    sock.on('data', (chunk) => {
      for (const f of reader.push(chunk)) {
        script(f, decodeFields(f.payload), (b) => sock.write(b), sock);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return path;
}

const respond = (id: number, fields: Field[]) =>
  encodeFrame(frameType.response, id, encodeFields(fields));

async function open(path: string, requestTimeoutMs?: number): Promise<GuestChannel> {
  const ch = await GuestChannel.connect(path, { requestTimeoutMs });
  cleanups.push(() => void ch.close());
  return ch;
}

describe('GuestChannel', () => {
  it.each([
    ['NotFound', 'NotFound'],
    ['AlreadyExists', 'AlreadyExists'],
    ['FailedPrecondition', 'FailedPrecondition'],
    ['Invalid', 'Invalid'],
    ['SomethingNew', 'InternalError'],
    ['Forbidden', 'InternalError'],
  ])('maps a guest refusal with code %s to a SkiffError %s', async (guestCode, code) => {
    const path = await peer((f, _fields, reply) =>
      reply(
        respond(f.id, [
          ['status', 'error'],
          ['code', guestCode],
          ['message', 'no such thing'],
        ]),
      ),
    );
    const ch = await open(path);
    await expect(ch.removeContainer('x')).rejects.toMatchObject({
      code,
      message: 'guest agent: no such thing',
    });
  });

  it('matches answers to requests by id, whatever their order', async () => {
    const held: Frame[] = [];
    const path = await peer((f, _fields, reply) => {
      if (f.type !== frameType.signal) return;
      held.push(f);
      if (held.length < 2) return;
      // Answer the second request first.
      for (const h of held.reverse()) {
        const sig = fieldValue(decodeFields(h.payload), 'signal') ?? '';
        reply(
          respond(h.id, [
            ['status', sig === '9' ? 'ok' : 'error'],
            ['code', 'NotFound'],
          ]),
        );
      }
    });
    const ch = await open(path);
    const killed = ch.signalContainer('a', 'SIGKILL');
    const termed = ch.signalContainer('a', 'SIGTERM');
    await expect(killed).resolves.toBeUndefined();
    await expect(termed).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('routes output and exit frames to the container or exec they belong to', async () => {
    const path = await peer((f, fields, reply) => {
      reply(respond(f.id, [['status', 'ok']]));
      if (f.type === frameType.create) {
        reply(encodeFrame(frameType.stdout, f.id, Buffer.from('from c1')));
        reply(
          encodeFrame(
            frameType.exit,
            f.id,
            encodeFields([
              ['exit', '0'],
              ['container', 'c1'],
            ]),
          ),
        );
      }
      if (f.type === frameType.exec) {
        expect(fieldValue(fields, 'timeout')).toBe('5');
        // One write carrying both frames: the channel must split them.
        reply(
          Buffer.concat([
            encodeFrame(frameType.stderr, f.id, Buffer.from('oops')),
            encodeFrame(frameType.exit, f.id, encodeFields([['signal', '15']])),
          ]),
        );
      }
    });
    const ch = await open(path);
    const seen: string[] = [];
    ch.on('output', (name, stream, data) => seen.push(`${name} ${stream} ${data}`));
    ch.on('exit', (name, exit) => seen.push(`${name} exit ${exit.exitCode}`));
    await ch.createContainer({ name: 'c1', rootfs: 'r', argv: ['x'] });
    const r = await ch.execSync({ container: 'c1', argv: ['y'], timeoutSeconds: 5 });
    expect(r).toEqual({
      exitCode: 143,
      signal: 15,
      timedOut: false,
      stdout: Buffer.alloc(0),
      stderr: Buffer.from('oops'),
    });
    expect(seen).toEqual(['c1 stdout from c1', 'c1 exit 0']);
  });

  it('continues above every id LIST reports as taken', async () => {
    const ids: number[] = [];
    const path = await peer((f, _fields, reply) => {
      ids.push(f.id);
      if (f.type !== frameType.list) return reply(respond(f.id, [['status', 'ok']]));
      reply(
        respond(f.id, [
          ['status', 'ok'],
          ['exec', '40'],
          ['container', 'a'],
          ['process', '7'],
          ['state', 'exited'],
          ['signal', '9'],
          ['container', 'b'],
          ['process', '12'],
          ['state', 'running'],
          ['pid', '88'],
        ]),
      );
    });
    const ch = await open(path);
    expect(await ch.listContainers()).toEqual([
      {
        name: 'a',
        process: 7,
        state: 'exited',
        exit: { exitCode: 137, signal: 9, timedOut: false },
      },
      { name: 'b', process: 12, state: 'running', pid: 88 },
    ]);
    await ch.removeContainer('a');
    expect(ids).toEqual([1, 41]);
    // Stdin for a listed container goes to its process id.
    expect(ch.closeContainerStdin('b')).toBe(true);
  });

  it('rejects what is pending when the connection drops, and later requests too', async () => {
    const path = await peer((_f, _fields, _reply, sock) => sock.destroy());
    const ch = await open(path);
    const closed = new Promise((resolve) => ch.once('close', resolve));
    const exec = ch.exec({ container: 'c', argv: ['sleep', '1'] });
    await expect(exec.started).rejects.toMatchObject({ code: 'ServiceUnavailable' });
    await expect(exec.exited).rejects.toMatchObject({ code: 'ServiceUnavailable' });
    await closed;
    await expect(ch.listContainers()).rejects.toMatchObject({ code: 'ServiceUnavailable' });
  });

  it('gives up on a request the guest never answers', async () => {
    const path = await peer(() => {});
    const ch = await open(path, 200);
    await expect(ch.shutdown()).rejects.toMatchObject({ code: 'Timeout' });
  });

  it('waits for the socket to appear, and names it when it never does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-channel-test-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const missing = join(dir, 'none.sock');
    await expect(GuestChannel.connect(missing, { connectTimeoutMs: 200 })).rejects.toMatchObject({
      code: 'ServiceUnavailable',
      message: expect.stringContaining(missing),
    });
  });

  it('refuses bad input before sending anything', async () => {
    let frames = 0;
    const path = await peer(() => {
      frames += 1;
    });
    const ch = await open(path);
    await expect(ch.createContainer({ name: 'a', rootfs: 'r', argv: [] })).rejects.toMatchObject({
      code: 'Invalid',
    });
    await expect(ch.signalContainer('a', 'SIGNOPE' as NodeJS.Signals)).rejects.toMatchObject({
      code: 'Invalid',
    });
    await ch.close();
    expect(frames).toBe(0);
  });
});
