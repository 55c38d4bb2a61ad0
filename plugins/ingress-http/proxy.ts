// The HTTP side: each request is routed by host and path, then relayed to one ready endpoint
// of the backend Service, chosen round-robin. Written on node:http: relaying one request with
// its headers and body is a few lines, less than a proxy library's surface.
import {
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { api, Logger } from '../../sdk/index.ts';
import { resolveBackends, type Target } from './backends.ts';
import { rewriteTarget, route } from './routes.ts';

/** RoutingSources are the caches the proxy reads on each request. */
export interface RoutingSources {
  /** served lists the Ingresses this controller serves. */
  served(): readonly api.Ingress[];
  service(namespace: string, name: string): api.Service | undefined;
  endpoints(namespace: string, name: string): api.Endpoints | undefined;
}

/** RunningProxy is the listening HTTP server. */
export interface RunningProxy {
  readonly port: number;
  close(): Promise<void>;
}

// Connection-level headers belong to one hop and are not relayed (RFC 9110 section 7.6.1).
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}

function hostOf(req: IncomingMessage): string {
  const raw = req.headers.host ?? '';
  // Drop the port; an IPv6 literal keeps its brackets' content.
  const m = /^\[([^\]]*)\](?::\d+)?$/.exec(raw) ?? /^([^:]*)(?::\d+)?$/.exec(raw);
  return m?.[1] ?? raw;
}

function forwardHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined && !hopByHop.has(k)) out[k] = v;
  const peer = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  out['x-forwarded-for'] = prior ? `${prior}, ${peer}` : peer;
  out['x-forwarded-host'] = req.headers.host ?? '';
  out['x-forwarded-proto'] = 'http';
  return out;
}

/** startIngressProxy listens on host:port and relays requests as the served Ingresses say. */
export async function startIngressProxy(opts: {
  host: string;
  port: number;
  sources: RoutingSources;
  logger?: Logger;
}): Promise<RunningProxy> {
  const turns = new Map<string, number>();
  const pick = (key: string, targets: readonly Target[]): Target => {
    const n = turns.get(key) ?? 0;
    turns.set(key, n + 1);
    return targets[n % targets.length] as Target;
  };
  // choose routes a request and picks its endpoint, or says which answer it gets instead.
  const choose = (
    req: IncomingMessage,
  ): { target: Target; path: string } | { status: number; text: string } => {
    const path = (req.url ?? '/').split('?')[0] || '/';
    const found = route(opts.sources.served(), hostOf(req), path);
    if (found === undefined) return { status: 404, text: 'default backend - 404' };
    const ns = found.ingress.metadata?.namespace ?? 'default';
    const name = found.backend.service?.name ?? '';
    const backends = resolveBackends(
      found.backend,
      opts.sources.service(ns, name),
      opts.sources.endpoints(ns, name),
    );
    if ('unavailable' in backends)
      return { status: 503, text: `503 Service Unavailable: ${backends.unavailable}` };
    const port = found.backend.service?.port;
    return {
      target: pick(`${ns}/${name}:${port?.name ?? port?.number}`, backends.targets),
      path: rewriteTarget(found, req.url ?? '/'),
    };
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chosen = choose(req);
    if ('status' in chosen) return plain(res, chosen.status, chosen.text);
    const { target } = chosen;
    const upstream = request(
      {
        host: target.ip,
        port: target.port,
        method: req.method,
        path: chosen.path,
        headers: forwardHeaders(req),
      },
      (up) => {
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(up.headers))
          if (v !== undefined && !hopByHop.has(k)) headers[k] = v;
        res.writeHead(up.statusCode ?? 502, up.statusMessage, headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      opts.logger?.warn('ingress backend failed', {
        target: `${target.ip}:${target.port}`,
        error: String(err),
      });
      if (!res.headersSent)
        plain(res, 502, `502 Bad Gateway: ${target.ip}:${target.port} ${err.message}`);
      else res.destroy();
    });
    req.pipe(upstream);
  };
  const server: Server = createServer(handle);
  // An upgrade (WebSocket) is relayed byte for byte once the endpoint's socket is open: the
  // request goes out with its Connection and Upgrade headers, and the endpoint's answer,
  // 101 or a refusal, comes back as it is.
  server.on('upgrade', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    client.on('error', () => client.destroy());
    const chosen = choose(req);
    if ('status' in chosen) {
      const body = `${chosen.text}\n`;
      client.end(
        `HTTP/1.1 ${chosen.status} ${STATUS_CODES[chosen.status]}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    const { target } = chosen;
    let open = false;
    const upstream = connect({ host: target.ip, port: target.port }, () => {
      open = true;
      const headers = forwardHeaders(req);
      headers.connection = 'Upgrade';
      if (req.headers.upgrade) headers.upgrade = req.headers.upgrade;
      const lines = [`${req.method} ${chosen.path} HTTP/1.1`];
      for (const [k, v] of Object.entries(headers))
        for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', (err) => {
      opts.logger?.warn('ingress backend failed', {
        target: `${target.ip}:${target.port}`,
        error: String(err),
      });
      if (open) client.destroy();
      else client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    });
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host, port: opts.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
