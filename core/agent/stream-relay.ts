import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';

/** streamSubprotocols are the Kubernetes streaming subprotocols relayed, most preferred first. */
export const streamSubprotocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

/** offeredSubprotocol is the best streaming subprotocol a WebSocket upgrade offers, if any. */
export function offeredSubprotocol(req: IncomingMessage): string | undefined {
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim());
  return streamSubprotocols.find((p) => offered.includes(p));
}

/** isWebSocketUpgrade tells a WebSocket upgrade from another one (kubectl's SPDY fallback). */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

/** refuseUpgrade answers an upgrade request with a plain HTTP response and ends the socket. */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  const reason: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    404: 'Not Found',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
  };
  const bytes = Buffer.from(body);
  socket.end(
    `HTTP/1.1 ${status} ${reason[status] ?? 'Error'}\r\ncontent-type: ${contentType}\r\n` +
      `content-length: ${bytes.length}\r\nconnection: close\r\n\r\n${bytes.toString('latin1')}`,
    'latin1',
  );
}

/** RelayTarget is the upstream WebSocket a client's upgrade is joined to. */
export interface RelayTarget {
  /** url is http(s):// or ws(s)://. */
  url: string;
  protocol: string;
  headers?: Record<string, string>;
  /** insecure skips certificate verification (the node endpoints' self-signed certificates). */
  insecure?: boolean;
}

/** RelayRefusal is why the upstream did not open: its HTTP answer, or a connection error. */
export type RelayRefusal = { status: number; body: string } | { error: Error };

// Close codes a peer may send on the wire; the rest (1005, 1006, ...) are only reported locally.
const sendable = (code: number) =>
  code === 1000 || (code >= 1001 && code <= 1003) || (code >= 1007 && code <= 1014) || code >= 3000
    ? code
    : 1000;

/** streamStatusFrame is a message on the error channel (3) carrying a Status. */
export function streamStatusFrame(status: object): Buffer {
  return Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(status))]);
}

/**
 * relayUpgrade opens the upstream WebSocket first and only then accepts the client's upgrade
 * with the same subprotocol, so the client learns of a refusal before it has a session;
 * messages then pass both ways unchanged until either side closes. onRefused gets the upstream's
 * refusal and must answer the client (the socket is still un-upgraded then, unless it returns a
 * frame to send in a session that closes at once).
 */
export function relayUpgrade(
  target: RelayTarget,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  onRefused: (refusal: RelayRefusal) => Buffer | undefined,
): void {
  const upstream = new WebSocket(target.url.replace(/^http/, 'ws'), [target.protocol], {
    headers: target.headers ?? {},
    rejectUnauthorized: !target.insecure,
    perMessageDeflate: false,
  });
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: () => target.protocol,
  });
  let client: WebSocket | undefined;
  let settled = false;
  const queue: { data: Buffer; binary: boolean }[] = [];
  let upstreamClose: number | undefined;
  const clientGone = () => upstream.terminate();
  socket.on('close', () => {
    if (!client) clientGone();
  });

  const refuse = (refusal: RelayRefusal) => {
    if (settled) return;
    settled = true;
    const frame = onRefused(refusal);
    if (frame === undefined) return;
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(frame, { binary: true }, () => ws.close(1000));
    });
  };
  upstream.on('unexpected-response', (_r, res) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () =>
      refuse({ status: res.statusCode ?? 502, body: Buffer.concat(chunks).toString('utf8') }),
    );
    res.on('error', (error) => refuse({ error }));
  });
  upstream.on('error', (error) => {
    if (!settled) refuse({ error });
    else client?.close(1011);
  });
  upstream.on('message', (data: Buffer, binary: boolean) => {
    if (client?.readyState === WebSocket.OPEN) client.send(data, { binary });
    else queue.push({ data, binary });
  });
  upstream.on('close', (code) => {
    upstreamClose = code;
    if (client && client.readyState === WebSocket.OPEN) client.close(sendable(code));
  });
  upstream.on('open', () => {
    settled = true;
    wss.handleUpgrade(req, socket, head, (ws) => {
      client = ws;
      for (const m of queue.splice(0)) ws.send(m.data, { binary: m.binary });
      if (upstreamClose !== undefined) ws.close(sendable(upstreamClose));
      ws.on('message', (data: Buffer, binary: boolean) => {
        if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary });
      });
      ws.on('close', (code) => {
        if (upstream.readyState === WebSocket.OPEN) upstream.close(sendable(code));
        else clientGone();
      });
      ws.on('error', () => upstream.terminate());
    });
  });
}
