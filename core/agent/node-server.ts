import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RuntimeClient } from '../../sdk/runtime/client.ts';
import { type LogQuery, parseLogQuery, writeContainerLog } from './logs.ts';
import { selfSignedServingCert } from './serving-cert.ts';
import {
  isWebSocketUpgrade,
  offeredSubprotocol,
  refuseUpgrade,
  relayUpgrade,
  streamStatusFrame,
} from './stream-relay.ts';

/** NodePodRef is what the agent knows of a pod it runs. */
export interface NodePodRef {
  uid: string;
  runtimeHandler: string;
}

/** NodeServerOptions configure startNodeServer. */
export interface NodeServerOptions {
  host: string;
  /** port to listen on; 0 picks a free one. */
  port: number;
  /** runtimes resolves a RuntimeClass handler ('' for the node's default) to its client. */
  runtimes: (handler: string) => RuntimeClient | undefined;
  /** token is the cluster's join token, which the API server presents. */
  token: string;
  findPod: (namespace: string, name: string) => NodePodRef | undefined;
  /** tls is a serving key and certificate (PEM); absent, a self-signed pair is made at start. */
  tls?: { key: string; cert: string };
}

/** NodeServer is the agent's running HTTPS endpoint. */
export interface NodeServer {
  port: number;
  close(): Promise<void>;
}

/** ContainerInstance is one runtime container of a pod's container, by attempt. */
interface ContainerInstance {
  id: string;
  attempt: number;
  running: boolean;
}

/** Outcome of a lookup: the value, or the HTTP status and kubelet-style message to answer. */
type Found<T> = { ok: true; value: T } | { ok: false; status: number; message: string };

const labels = {
  podUid: 'io.kubernetes.pod.uid',
  container: 'io.kubernetes.container.name',
};

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (m === null) return false;
  const a = Buffer.from(m[1] ?? '');
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** podPath splits `/<route>/<ns>/<pod>/<container>` (kubelet's paths). */
function podPath(
  url: URL,
): { route: string; ns: string; pod: string; container: string } | undefined {
  const parts = url.pathname.split('/').filter((s) => s !== '');
  if (parts.length !== 4) return undefined;
  const [route, ns, pod, container] = parts.map(decodeURIComponent) as [
    string,
    string,
    string,
    string,
  ];
  return { route, ns, pod, container };
}

async function instances(
  runtime: RuntimeClient,
  podUid: string,
  container: string,
): Promise<ContainerInstance[]> {
  const { containers } = await runtime.listContainers({
    filter: { labelSelector: { [labels.podUid]: podUid, [labels.container]: container } },
  });
  return containers
    .map((c) => ({
      id: c.id,
      attempt: c.metadata?.attempt ?? 0,
      running: c.state === 'CONTAINER_RUNNING',
    }))
    .sort((a, b) => b.attempt - a.attempt);
}

type Resolved = { runtime: RuntimeClient; pod: NodePodRef; list: ContainerInstance[] };

async function resolve(
  opts: NodeServerOptions,
  ns: string,
  podName: string,
  container: string,
): Promise<Found<Resolved>> {
  const pod = opts.findPod(ns, podName);
  if (pod === undefined)
    return { ok: false, status: 404, message: `pod ${JSON.stringify(podName)} does not exist` };
  const runtime = opts.runtimes(pod.runtimeHandler);
  if (runtime === undefined)
    return {
      ok: false,
      status: 500,
      message: `no runtime serves handler ${JSON.stringify(pod.runtimeHandler)} on this node`,
    };
  return { ok: true, value: { runtime, pod, list: await instances(runtime, pod.uid, container) } };
}

async function serveLogs(
  opts: NodeServerOptions,
  at: { ns: string; pod: string; container: string },
  query: LogQuery,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const found = await resolve(opts, at.ns, at.pod, at.container);
  if (!found.ok) return answer(res, found.status, found.message);
  const { runtime, list } = found.value;
  const [current, previous] = list;
  const who = `container ${JSON.stringify(at.container)} in pod ${JSON.stringify(at.pod)}`;
  const chosen = query.previous ? previous : current;
  if (chosen === undefined)
    return answer(
      res,
      400,
      query.previous
        ? `previous terminated ${who} not found`
        : `${who} is waiting to start: ContainerCreating`,
    );
  const status = await runtime.containerStatus({ containerId: chosen.id });
  const path = status.status?.logPath ?? '';
  if (path === '') return answer(res, 400, `${who} has no log file`);
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  req.on('close', () => abort.abort());
  res.writeHead(200, { 'content-type': 'text/plain' });
  // kubectl -f must see the headers now, not when the first line arrives.
  res.flushHeaders();
  const since =
    query.sinceSeconds !== undefined
      ? new Date(Date.now() - query.sinceSeconds * 1000)
      : query.sinceTime !== undefined
        ? new Date(query.sinceTime)
        : undefined;
  await writeContainerLog(path, res, {
    follow: query.follow && !query.previous,
    timestamps: query.timestamps,
    ...(query.tailLines === undefined ? {} : { tailLines: query.tailLines }),
    ...(query.limitBytes === undefined ? {} : { limitBytes: query.limitBytes }),
    ...(since === undefined ? {} : { since }),
    signal: abort.signal,
    exited: async () => {
      try {
        const s = await runtime.containerStatus({ containerId: chosen.id });
        return s.status?.state !== 'CONTAINER_RUNNING';
      } catch {
        return true;
      }
    },
  });
  res.end();
}

function answer(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(message);
}

const flag = (v: string | null) => v === 'true' || v === '1';

async function serveStream(
  opts: NodeServerOptions,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://node');
  const at = podPath(url);
  if (at === undefined || (at.route !== 'exec' && at.route !== 'attach'))
    return refuseUpgrade(socket, 404, `${url.pathname} is not served here`);
  const protocol = isWebSocketUpgrade(req) ? offeredSubprotocol(req) : undefined;
  if (protocol === undefined)
    return refuseUpgrade(
      socket,
      400,
      `${at.route} is served over WebSocket with subprotocol v5.channel.k8s.io or v4.channel.k8s.io`,
    );
  const found = await resolve(opts, at.ns, at.pod, at.container);
  if (!found.ok) return refuseUpgrade(socket, found.status, found.message);
  const running = found.value.list.find((c) => c.running);
  if (running === undefined)
    return refuseUpgrade(socket, 404, `container not found (${JSON.stringify(at.container)})`);
  const q = url.searchParams;
  const streams = {
    stdin: flag(q.get('stdin')),
    stdout: flag(q.get('stdout')),
    stderr: flag(q.get('stderr')),
    tty: flag(q.get('tty')),
  };
  const { runtime } = found.value;
  let streamUrl: string;
  try {
    streamUrl =
      at.route === 'exec'
        ? (await runtime.exec({ containerId: running.id, cmd: q.getAll('command'), ...streams }))
            .url
        : (await runtime.attach({ containerId: running.id, ...streams })).url;
  } catch (err) {
    return refuseUpgrade(socket, 500, (err as Error).message);
  }
  relayUpgrade({ url: streamUrl, protocol }, req, socket, head, (refusal) =>
    // The session was granted, so the client hears of a failure on the error channel.
    streamStatusFrame({
      metadata: {},
      status: 'Failure',
      reason: 'InternalError',
      code: 500,
      message:
        'error' in refusal
          ? `the runtime's stream could not be reached: ${refusal.error.message}`
          : `the runtime refused the stream (${refusal.status}): ${refusal.body}`,
    }),
  );
}

/**
 * startNodeServer serves the agent's HTTPS endpoint the API server proxies to: container logs
 * (`/containerLogs/{ns}/{pod}/{container}`), and exec and attach as WebSocket sessions relayed
 * to the runtime's streaming server. Every request must carry the join token as bearer token.
 */
export async function startNodeServer(opts: NodeServerOptions): Promise<NodeServer> {
  const tls = opts.tls ?? (await selfSignedServingCert(opts.host === '0.0.0.0' ? [] : [opts.host]));
  const sockets = new Set<Socket>();
  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    if (!tokenMatches(req.headers.authorization, opts.token))
      return answer(res, 401, 'Unauthorized');
    const url = new URL(req.url ?? '/', 'https://node');
    const at = podPath(url);
    if (req.method !== 'GET' || at === undefined) return answer(res, 404, 'not found');
    if (at.route === 'exec' || at.route === 'attach')
      return answer(res, 400, `${at.route} needs a WebSocket upgrade (v5.channel.k8s.io)`);
    if (at.route !== 'containerLogs') return answer(res, 404, 'not found');
    const parsed = parseLogQuery(url.searchParams);
    if (!parsed.ok) return answer(res, 400, parsed.message);
    serveLogs(opts, at, parsed.query, req, res).catch((err: Error) =>
      answer(res, 500, err.message),
    );
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!tokenMatches(req.headers.authorization, opts.token))
      return refuseUpgrade(socket, 401, 'Unauthorized');
    serveStream(opts, req, socket, head).catch((err: Error) => {
      if (socket.writable) refuseUpgrade(socket, 500, err.message);
    });
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(opts.port, opts.host, () => done());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : opts.port,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        // Followed logs and exec sessions stay open until the client goes; end them now.
        for (const s of sockets) s.destroy();
      }),
  };
}
