// The HTTP side: each request is routed by host and path, then relayed to one ready endpoint
// of the backend Service, chosen round-robin. Written on node:http: relaying one request with
// its headers and body is a few lines, less than a proxy library's surface.
import {
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
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
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] || '/';
    const found = route(opts.sources.served(), hostOf(req), path);
    if (found === undefined) return plain(res, 404, 'default backend - 404');
    const ns = found.ingress.metadata?.namespace ?? 'default';
    const name = found.backend.service?.name ?? '';
    const backends = resolveBackends(
      found.backend,
      opts.sources.service(ns, name),
      opts.sources.endpoints(ns, name),
    );
    if ('unavailable' in backends)
      return plain(res, 503, `503 Service Unavailable: ${backends.unavailable}`);
    const port = found.backend.service?.port;
    const target = pick(`${ns}/${name}:${port?.name ?? port?.number}`, backends.targets);
    const upstream = request(
      {
        host: target.ip,
        port: target.port,
        method: req.method,
        path: rewriteTarget(found, req.url ?? '/'),
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
