import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { Duplex, PassThrough, Writable } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { SkiffError } from '../errors.ts';
import type { RpcRequestReceived } from './rpcs.ts';

/**
 * streamChannel numbers the channels of the Kubernetes streaming protocol: every WebSocket
 * message is binary and its first byte names the channel.
 */
export const streamChannel = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  error: 3,
  resize: 4,
  close: 255,
} as const;

/** streamProtocols are the WebSocket subprotocols served, most preferred first. */
export const streamProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

/** TerminalSize is a resize event from the client's terminal. */
export interface TerminalSize {
  width: number;
  height: number;
}

/** StreamIO is one session's streams as a runtime sees them; absent ones were not asked for. */
export interface StreamIO {
  stdin: PassThrough | undefined;
  stdout: Writable | undefined;
  stderr: Writable | undefined;
  /** onResize registers the handler of terminal size changes (tty sessions). */
  onResize(handler: (size: TerminalSize) => void): void;
  /** signal aborts when the client goes away. */
  signal: AbortSignal;
}

/** ExecTarget is an Exec request the server accepted. */
export type ExecTarget = RpcRequestReceived<'Exec'>;
/** AttachTarget is an Attach request the server accepted. */
export type AttachTarget = RpcRequestReceived<'Attach'>;

/** StreamOutcome is how a session ended: the exit code of the process, if it has one. */
export interface StreamOutcome {
  exitCode?: number;
}

/** StreamingRuntime is what a runtime implements to serve streaming sessions. */
export interface StreamingRuntime {
  exec(target: ExecTarget, io: StreamIO): Promise<StreamOutcome>;
  attach(target: AttachTarget, io: StreamIO): Promise<StreamOutcome>;
  /** portForward joins conn to a port inside the sandbox's network namespace until either ends. */
  portForward(podSandboxId: string, port: number, conn: Duplex, signal: AbortSignal): Promise<void>;
}

/**
 * forwardToAddress joins conn to a TCP port at an address the host reaches (a pod's IP on the
 * node's bridge), until either side ends or the signal aborts; an unreachable port rejects.
 */
export async function forwardToAddress(
  address: string,
  port: number,
  conn: Duplex,
  signal: AbortSignal,
): Promise<void> {
  const sock = connect(port, address);
  conn.pipe(sock);
  sock.pipe(conn);
  signal.addEventListener('abort', () => sock.destroy());
  await new Promise<void>((resolve, reject) => {
    sock.on('close', () => resolve());
    sock.on('error', (err) =>
      reject(new Error(`cannot reach port ${port} of the pod: ${err.message}`)),
    );
  });
}

/** StreamingServerOptions tunes the server. */
export interface StreamingServerOptions {
  /** host to listen on; loopback by default. */
  host?: string;
  /** port to listen on; a free one by default. */
  port?: number;
  /** tokenTtlMs is how long a URL stays valid before its first use (one minute by default). */
  tokenTtlMs?: number;
}

/** StreamingServer hands out one-time URLs for Exec, Attach and PortForward and serves them. */
export interface StreamingServer {
  /** baseUrl is `http://host:port`. */
  readonly baseUrl: string;
  exec(request: ExecTarget): { url: string };
  attach(request: AttachTarget): { url: string };
  portForward(request: RpcRequestReceived<'PortForward'>): { url: string };
  close(): Promise<void>;
}

type Pending =
  | { kind: 'exec'; request: ExecTarget; expires: number }
  | { kind: 'attach'; request: AttachTarget; expires: number }
  | { kind: 'portforward'; request: RpcRequestReceived<'PortForward'>; expires: number };

function frame(channel: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from([channel]), body]);
}

/** channelWriter is a Writable that sends what is written to it as frames on one channel. */
function channelWriter(ws: WebSocket, channel: number): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      if (ws.readyState !== ws.OPEN) return done();
      ws.send(frame(channel, chunk), { binary: true }, () => done());
    },
  });
}

/** exitStatus is the Kubernetes Status sent on the error channel when a session ends. */
export function exitStatus(outcome: StreamOutcome | Error): object {
  if (outcome instanceof Error) {
    return {
      metadata: {},
      status: 'Failure',
      message: outcome.message,
      reason: 'InternalError',
      code: 500,
    };
  }
  if (!outcome.exitCode) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${outcome.exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(outcome.exitCode) }] },
  };
}

function sessionIO(
  ws: WebSocket,
  want: { stdin: boolean; stdout: boolean; stderr: boolean },
  protocol: string,
) {
  const abort = new AbortController();
  const stdin = want.stdin ? new PassThrough() : undefined;
  const resizeHandlers: ((size: TerminalSize) => void)[] = [];
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const buf = isBinary ? data : Buffer.from(data);
    if (buf.length === 0) return;
    const channel = buf[0];
    const body = buf.subarray(1);
    if (channel === streamChannel.stdin) {
      stdin?.write(body);
    } else if (channel === streamChannel.resize) {
      try {
        const size = JSON.parse(body.toString('utf8')) as { Width?: number; Height?: number };
        for (const h of resizeHandlers) h({ width: size.Width ?? 0, height: size.Height ?? 0 });
      } catch {
        // a malformed resize is ignored, as the kubelet does
      }
    } else if (
      channel === streamChannel.close &&
      protocol.startsWith('v5') &&
      body[0] === streamChannel.stdin
    ) {
      stdin?.end();
    }
  });
  ws.on('close', () => {
    stdin?.end();
    abort.abort(new Error('the client closed the stream'));
  });
  const io: StreamIO = {
    stdin,
    stdout: want.stdout ? channelWriter(ws, streamChannel.stdout) : undefined,
    stderr: want.stderr ? channelWriter(ws, streamChannel.stderr) : undefined,
    onResize: (h) => resizeHandlers.push(h),
    signal: abort.signal,
  };
  return io;
}

async function flush(w: Writable | undefined): Promise<void> {
  if (!w || w.writableEnded) return;
  await new Promise<void>((resolve) => w.end(resolve));
}

async function serveStream(
  ws: WebSocket,
  pending: Pending,
  runtime: StreamingRuntime,
  queryPorts: number[],
): Promise<void> {
  const protocol = ws.protocol;
  if (pending.kind === 'portforward') {
    const ports = pending.request.port.length > 0 ? pending.request.port : queryPorts;
    await servePortForward(ws, pending.request.podSandboxId, ports, runtime);
    return;
  }
  const r = pending.request;
  // With a terminal there is one output stream: stderr is folded into stdout.
  const io = sessionIO(
    ws,
    { stdin: r.stdin, stdout: r.stdout, stderr: r.stderr && !r.tty },
    protocol,
  );
  let outcome: StreamOutcome | Error;
  try {
    outcome =
      pending.kind === 'exec'
        ? await runtime.exec(pending.request, io)
        : await runtime.attach(pending.request, io);
  } catch (err) {
    outcome = err instanceof Error ? err : new Error(String(err));
  }
  await Promise.all([flush(io.stdout), flush(io.stderr)]);
  if (ws.readyState === ws.OPEN) {
    ws.send(frame(streamChannel.error, JSON.stringify(exitStatus(outcome))), { binary: true });
    ws.close(1000);
  }
}

// Port forwarding over WebSocket: each requested port gets a data channel (2i) and an error
// channel (2i+1); the first frame the server sends on each carries the port, little-endian.
async function servePortForward(
  ws: WebSocket,
  podSandboxId: string,
  ports: number[],
  runtime: StreamingRuntime,
) {
  const abort = new AbortController();
  const conns = ports.map(() => new PassThrough());
  const outs = ports.map((_, i) => channelWriter(ws, 2 * i));
  ports.forEach((port, i) => {
    const header = Buffer.alloc(2);
    header.writeUInt16LE(port);
    ws.send(frame(2 * i, header), { binary: true });
    ws.send(frame(2 * i + 1, header), { binary: true });
  });
  ws.on('message', (data: Buffer) => {
    if (data.length === 0) return;
    const channel = data[0] ?? 0;
    if (channel % 2 === 0) conns[channel / 2]?.write(data.subarray(1));
  });
  ws.on('close', () => {
    for (const c of conns) c.end();
    abort.abort();
  });
  await Promise.all(
    ports.map(async (port, i) => {
      const conn = conns[i];
      const out = outs[i];
      if (!conn || !out) return;
      // The runtime reads the client's bytes from `conn` and writes the port's bytes to `out`.
      try {
        await runtime.portForward(
          podSandboxId,
          port,
          Duplex.from({ readable: conn, writable: out }),
          abort.signal,
        );
      } catch (err) {
        if (ws.readyState === ws.OPEN) {
          ws.send(frame(2 * i + 1, err instanceof Error ? err.message : String(err)), {
            binary: true,
          });
        }
      }
    }),
  );
  if (ws.readyState === ws.OPEN) ws.close(1000);
}

/** startStreamingServer serves Exec, Attach and PortForward sessions for a runtime over WebSocket. */
export async function startStreamingServer(
  runtime: StreamingRuntime,
  options: StreamingServerOptions = {},
): Promise<StreamingServer> {
  const host = options.host ?? '127.0.0.1';
  const ttl = options.tokenTtlMs ?? 60_000;
  const pending = new Map<string, Pending>();
  const live = new Set<WebSocket>();
  const http: Server = createServer((req, res) => {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        reason: 'BadRequest',
        code: 400,
        message: `${req.url ?? ''} needs a WebSocket upgrade (${streamProtocols.join(', ')})`,
      }),
    );
  });
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => streamProtocols.find((p) => offered.has(p)) ?? false,
  });
  const take = (req: IncomingMessage): Pending | undefined => {
    const token = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]+)/.exec(req.url ?? '')?.[2];
    if (!token) return undefined;
    const p = pending.get(token);
    pending.delete(token);
    return p && p.expires >= Date.now() ? p : undefined;
  };
  http.on('upgrade', (req, socket, head) => {
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((v) => v.trim());
    if (!streamProtocols.some((p) => offered.includes(p))) {
      // Refused before the upgrade, so a client can fall back to another transport.
      socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    const p = take(req);
    if (!p) {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      live.add(ws);
      ws.on('close', () => live.delete(ws));
      // Like the kubelet, the ports of a forward may also come in the query (`?port=80`).
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      const ports = query
        .getAll('port')
        .flatMap((v) => v.split(','))
        .map(Number);
      void serveStream(
        ws,
        p,
        runtime,
        ports.filter((n) => n > 0 && n <= 65535),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => resolve());
  });
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [t, p] of pending) if (p.expires < now) pending.delete(t);
  }, 10_000);
  sweep.unref();
  const issue = (p: Pending) => {
    const token = randomBytes(16).toString('base64url');
    pending.set(token, p);
    return { url: `${baseUrl}/${p.kind}/${token}` };
  };
  return {
    baseUrl,
    exec: (request) => {
      if (request.cmd.length === 0) throw new SkiffError('Invalid', 'exec command is empty');
      if (!request.stdin && !request.stdout && !request.stderr) {
        throw new SkiffError('Invalid', 'one of stdin, stdout and stderr must be set');
      }
      return issue({ kind: 'exec', request, expires: Date.now() + ttl });
    },
    attach: (request) => {
      if (!request.stdin && !request.stdout && !request.stderr) {
        throw new SkiffError('Invalid', 'one of stdin, stdout and stderr must be set');
      }
      return issue({ kind: 'attach', request, expires: Date.now() + ttl });
    },
    portForward: (request) => {
      if (request.port.some((p) => p <= 0 || p > 65535))
        throw new SkiffError('Invalid', 'ports must be 1-65535');
      return issue({ kind: 'portforward', request, expires: Date.now() + ttl });
    },
    close: async () => {
      clearInterval(sweep);
      for (const ws of live) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
