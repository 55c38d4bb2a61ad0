import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  type StreamingRuntime,
  type StreamingServer,
  startStreamingServer,
  streamChannel,
  type TerminalSize,
} from './streaming.ts';

// A small in-process runtime: `echo ARGS` writes to stdout, `fail N` exits N after writing to
// stderr, `cat` copies stdin to stdout, `size` reports the first resize. Port forwards go to
// a loopback echo server.
const resizes: TerminalSize[] = [];
let echoPort = 0;
const runtime: StreamingRuntime = {
  async exec(target, io) {
    const [cmd, ...args] = target.cmd;
    if (cmd === 'echo') {
      io.stdout?.write(`${args.join(' ')}\n`);
      return { exitCode: 0 };
    }
    if (cmd === 'fail') {
      io.stderr?.write('failing\n');
      return { exitCode: Number(args[0]) };
    }
    if (cmd === 'cat' && io.stdin) {
      for await (const chunk of io.stdin) io.stdout?.write(chunk);
      return { exitCode: 0 };
    }
    if (cmd === 'size') {
      const size = await new Promise<TerminalSize>((resolve) => io.onResize(resolve));
      resizes.push(size);
      io.stdout?.write(`${size.width}x${size.height}\n`);
      return { exitCode: 0 };
    }
    throw new Error(`unknown command ${cmd}`);
  },
  async attach(_target, io) {
    io.stdout?.write('attached\n');
    return {};
  },
  async portForward(_sandbox, port, conn) {
    const { connect } = await import('node:net');
    const sock = connect(port === 1 ? echoPort : port, '127.0.0.1');
    conn.pipe(sock);
    sock.pipe(conn);
    await new Promise((resolve) => sock.on('close', resolve));
  },
};

let server: StreamingServer;
let echo: Server;
beforeAll(async () => {
  server = await startStreamingServer(runtime);
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  const a = echo.address();
  echoPort = typeof a === 'object' && a ? a.port : 0;
});
afterAll(async () => {
  await server.close();
  echo.close();
});

interface Session {
  frames: { channel: number; text: string }[];
  closeCode: number;
  ws: WebSocket;
}

function open(
  url: string,
  protocol = 'v5.channel.k8s.io',
  onOpen?: (ws: WebSocket) => void,
): Promise<Session> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), [protocol]);
    const frames: Session['frames'] = [];
    ws.on('message', (data: Buffer) =>
      frames.push({ channel: data[0] ?? -1, text: data.subarray(1).toString() }),
    );
    ws.on('open', () => onOpen?.(ws));
    ws.on('close', (code) => resolve({ frames, closeCode: code, ws }));
    ws.on('error', reject);
  });
}

const send = (ws: WebSocket, channel: number, body: string | Buffer) =>
  ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(body)]));

const execReq = (cmd: string[], extra: object = {}) => ({
  containerId: 'c1',
  cmd,
  tty: false,
  stdin: false,
  stdout: true,
  stderr: true,
  ...extra,
});

describe('streaming server', () => {
  it('streams stdout and ends with a Success status on channel 3, then a normal close', async () => {
    const s = await open(server.exec(execReq(['echo', 'hi'])).url);
    expect(s.ws.protocol).toBe('v5.channel.k8s.io');
    expect(s.frames).toEqual([
      { channel: streamChannel.stdout, text: 'hi\n' },
      { channel: streamChannel.error, text: JSON.stringify({ metadata: {}, status: 'Success' }) },
    ]);
    expect(s.closeCode).toBe(1000);
  });

  it('reports a non-zero exit code as NonZeroExitCode with the code as a cause', async () => {
    const s = await open(server.exec(execReq(['fail', '7'])).url);
    expect(s.frames[0]).toEqual({ channel: streamChannel.stderr, text: 'failing\n' });
    const status = JSON.parse(s.frames[1]?.text ?? '{}');
    expect(status).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '7' }] },
    });
  });

  it('feeds stdin and ends it on the v5 close signal', async () => {
    const s = await open(
      server.exec(execReq(['cat'], { stdin: true })).url,
      'v5.channel.k8s.io',
      (ws) => {
        send(ws, streamChannel.stdin, 'abc');
        send(ws, streamChannel.close, Buffer.from([streamChannel.stdin]));
      },
    );
    expect(
      s.frames
        .filter((f) => f.channel === 1)
        .map((f) => f.text)
        .join(''),
    ).toBe('abc');
    expect(JSON.parse(s.frames.at(-1)?.text ?? '{}').status).toBe('Success');
  });

  it('delivers resize events and speaks v4 too', async () => {
    const s = await open(
      server.exec(execReq(['size'], { tty: true })).url,
      'v4.channel.k8s.io',
      (ws) => {
        send(ws, streamChannel.resize, JSON.stringify({ Width: 120, Height: 40 }));
      },
    );
    expect(s.ws.protocol).toBe('v4.channel.k8s.io');
    expect(s.frames[0]).toEqual({ channel: 1, text: '120x40\n' });
    expect(resizes).toContainEqual({ width: 120, height: 40 });
  });

  it('serves attach', async () => {
    const s = await open(
      server.attach({ containerId: 'c1', stdin: false, tty: false, stdout: true, stderr: true })
        .url,
    );
    expect(s.frames[0]).toEqual({ channel: 1, text: 'attached\n' });
  });

  it('forwards a port with the port number first on its data and error channels', async () => {
    const { url } = server.portForward({ podSandboxId: 's1', port: [1] });
    const s = await open(url, 'v4.channel.k8s.io', (ws) => {
      let seen = 0;
      ws.on('message', () => {
        seen += 1;
        if (seen === 2) send(ws, 0, 'ping');
        if (seen === 3) ws.close();
      });
    });
    const port = Buffer.from([1, 0]).toString();
    expect(s.frames.slice(0, 3)).toEqual([
      { channel: 0, text: port },
      { channel: 1, text: port },
      { channel: 0, text: 'ping' },
    ]);
  });

  it('honours each URL once', async () => {
    const { url } = server.exec(execReq(['echo', 'once']));
    await open(url);
    await expect(open(url)).rejects.toThrow(/404/);
  });

  it('refuses a client without a channel subprotocol before upgrading, so it can fall back', async () => {
    const { url } = server.exec(execReq(['echo', 'x']));
    await expect(open(url, 'channel.k8s.io')).rejects.toThrow(/400/);
    // The refusal does not use the URL up.
    const s = await open(url);
    expect(s.frames[0]?.text).toBe('x\n');
  });

  it.each([
    ['an empty command', () => server.exec(execReq([]))],
    ['no streams at all', () => server.exec(execReq(['echo'], { stdout: false, stderr: false }))],
    ['a port out of range', () => server.portForward({ podSandboxId: 's', port: [70000] })],
  ])('refuses %s with Invalid', (_name, call) => {
    expect(call).toThrow(expect.objectContaining({ code: 'Invalid' }));
  });
});
