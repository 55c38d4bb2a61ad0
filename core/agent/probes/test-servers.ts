import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Container } from '../../../sdk/api/core/container.ts';
import { grpcCode } from '../../../sdk/errors.ts';
import type { RuntimeClient } from '../../../sdk/runtime/client.ts';
import { RuntimeCallError } from '../../../sdk/runtime/grpc-status.ts';
import { selfSignedServingCert } from '../serving-cert.ts';
import type { ProbeTarget } from './types.ts';

/** ProbeTestServer is a local HTTP(S) server whose routes answer what probe tests need. */
export interface ProbeTestServer {
  port: number;
  /** requests are the paths and headers the server received, oldest first. */
  requests: Array<{ path: string; headers: http.IncomingHttpHeaders }>;
  /** bodyBytesSent is how many bytes the /big route wrote before the client hung up. */
  bodyBytesSent(): number;
  /** status sets what `/health` answers. */
  setHealth(status: number): void;
  close(): Promise<void>;
}

/**
 * startProbeTestServer serves on 127.0.0.1: `/health` (a settable status), `/status/N`,
 * `/to/PATH` (302 to PATH on the same host), `/away` (302 to localhost: another host name),
 * `/loop` (redirects to itself), `/slow` (never answers) and `/big` (an endless body).
 */
export async function startProbeTestServer(tls = false): Promise<ProbeTestServer> {
  let health = 200;
  let bigSent = 0;
  const requests: ProbeTestServer['requests'] = [];
  const open = new Set<net.Socket>();
  const handler: http.RequestListener = (req, res) => {
    requests.push({ path: req.url ?? '/', headers: req.headers });
    const path = (req.url ?? '/').replace(/\?.*$/, '');
    const port = (server.address() as net.AddressInfo).port;
    const status = /^\/status\/(\d+)$/.exec(path);
    if (path === '/health') res.writeHead(health).end('health');
    else if (status) res.writeHead(Number(status[1])).end(`status ${status[1]}`);
    else if (path.startsWith('/to/')) res.writeHead(302, { location: path.slice(3) }).end();
    else if (path === '/away')
      res
        .writeHead(302, { location: `${tls ? 'https' : 'http'}://localhost:${port}/status/500` })
        .end('moved away');
    else if (path === '/loop') res.writeHead(302, { location: '/loop' }).end();
    else if (path === '/slow') {
      // Never answers; the socket is closed by close().
    } else if (path === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(4096, 'x');
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) bigSent += chunk.length;
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    } else res.writeHead(404).end();
  };
  const server = tls
    ? https.createServer(await selfSignedServingCert(), handler)
    : http.createServer(handler);
  server.on('connection', (s: net.Socket) => {
    open.add(s);
    s.once('close', () => open.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    bodyBytesSent: () => bigSent,
    setHealth: (s) => {
      health = s;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** closedPort finds a loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** ExecAnswer is what the stand-in runtime answers one ExecSync with. */
export type ExecAnswer =
  | { exitCode: number; stdout?: string; stderr?: string }
  | 'timeout'
  | 'notfound'
  | 'hang';

/**
 * execRuntime is a stand-in for a runtime's ExecSync (the real one is exercised by the
 * integration test): it records each request and answers what `answer` returns.
 */
export function execRuntime(answer: (cmd: string[]) => ExecAnswer): {
  runtime: RuntimeClient;
  calls: Array<{ containerId: string; cmd: string[]; timeout: number }>;
} {
  const calls: Array<{ containerId: string; cmd: string[]; timeout: number }> = [];
  const execSync: RuntimeClient['execSync'] = async (req, options) => {
    const cmd = (req.cmd ?? []).map(String);
    calls.push({ containerId: String(req.containerId), cmd, timeout: Number(req.timeout) });
    const a = answer(cmd);
    if (a === 'timeout')
      throw new RuntimeCallError('ExecSync', grpcCode.DEADLINE_EXCEEDED, 'command timed out');
    if (a === 'notfound')
      throw new RuntimeCallError('ExecSync', grpcCode.NOT_FOUND, 'no such container');
    if (a === 'hang')
      return new Promise((_, reject) =>
        options?.signal?.addEventListener('abort', () =>
          reject(new RuntimeCallError('ExecSync', grpcCode.CANCELLED, 'cancelled')),
        ),
      );
    return {
      exitCode: a.exitCode,
      stdout: Buffer.from(a.stdout ?? ''),
      stderr: Buffer.from(a.stderr ?? ''),
    };
  };
  // Only ExecSync is reached by probes; the rest of the client is never called.
  return { runtime: { execSync } as unknown as RuntimeClient, calls };
}

/** probeTarget builds a target for the container, on 127.0.0.1, started at startedAt. */
export function probeTarget(
  container: Container,
  runtime: RuntimeClient,
  startedAt = 0,
  containerId = `cid-${container.name}`,
): ProbeTarget {
  return {
    podUid: 'uid-1',
    podName: 'web',
    namespace: 'default',
    podIP: '127.0.0.1',
    containerName: container.name,
    containerId,
    startedAt,
    container,
    runtime,
  };
}
