import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { ProbeOutcome } from './outcome.ts';

/** probeUserAgent is the User-Agent of HTTP probes, the one kubelet 1.32 sends. */
export const probeUserAgent = 'kube-probe/1.32';

/** maxProbeBodyBytes is how much of a response body an HTTP probe reads before it hangs up. */
export const maxProbeBodyBytes = 10 * 1024;

// Go's http client follows at most ten redirects; kubelet keeps that limit.
const maxRedirects = 10;
const followedRedirects = new Set([301, 302, 303, 307, 308]);

/** joinHostPort writes host:port, with brackets around an IPv6 address. */
export function joinHostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

// Kubernetes users read (and match on) the Go runtime's wording of socket errors, so failed
// dials are described the way a Go program on Linux describes them.
function socketErrorText(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connect: connection refused';
    case 'EHOSTUNREACH':
      return 'connect: no route to host';
    case 'ENETUNREACH':
      return 'connect: network is unreachable';
    case 'EADDRNOTAVAIL':
      return 'connect: cannot assign requested address';
    case 'ETIMEDOUT':
      return 'i/o timeout';
    case 'ECONNRESET':
      return 'read: connection reset by peer';
    case 'EPIPE':
      return 'write: broken pipe';
    default:
      return err.message;
  }
}

/** dialErrorText describes a failed TCP connection to host:port as Go's net.Dial does. */
export function dialErrorText(host: string, port: number, err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN')
    return `dial tcp: lookup ${host}: no such host`;
  return `dial tcp ${joinHostPort(host, port)}: ${socketErrorText(err)}`;
}

/** tcpSocketProbe succeeds when a TCP connection to host:port opens within timeoutMs. */
export function tcpSocketProbe(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = net.connect({ host, port });
    const finish = (outcome: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(
      () =>
        finish({ result: 'failure', output: `dial tcp ${joinHostPort(host, port)}: i/o timeout` }),
      timeoutMs,
    );
    socket.once('connect', () => finish({ result: 'success', output: '' }));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      finish({ result: 'failure', output: dialErrorText(host, port, err) }),
    );
  });
}

/** HttpProbeRequest is one httpGet probe attempt, its URL already resolved. */
export interface HttpProbeRequest {
  url: URL;
  /** headers are the probe's httpHeaders, in order (a name may repeat). */
  headers: ReadonlyArray<{ name: string; value: string }>;
  timeoutMs: number;
}

interface Exchange {
  status: number;
  location: string | undefined;
  body: string;
}

class ExchangeError extends Error {}

// Header names are case-insensitive; the first spelling of a name is the one sent, and a
// repeated name sends every value, as Go's http.Header does.
function requestHeaders(headers: HttpProbeRequest['headers']): Record<string, string | string[]> {
  const byName = new Map<string, { name: string; values: string[] }>();
  for (const h of headers) {
    const key = h.name.toLowerCase();
    const entry = byName.get(key) ?? { name: h.name, values: [] };
    entry.values.push(h.value);
    byName.set(key, entry);
  }
  if (!byName.has('user-agent'))
    byName.set('user-agent', { name: 'User-Agent', values: [probeUserAgent] });
  if (!byName.has('accept')) byName.set('accept', { name: 'Accept', values: ['*/*'] });
  const out: Record<string, string | string[]> = {};
  for (const { name, values } of byName.values())
    out[name] = values.length === 1 ? values[0]! : values;
  return out;
}

function exchange(
  url: URL,
  headers: Record<string, string | string[]>,
  signal: AbortSignal,
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const target = `Get ${JSON.stringify(url.href)}`;
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    let gotResponse = false;
    const fail = (err: unknown) => {
      if (signal.aborted) {
        const stage = gotResponse
          ? 'Client.Timeout or context cancellation while reading body'
          : 'Client.Timeout exceeded while awaiting headers';
        reject(new ExchangeError(`${target}: context deadline exceeded (${stage})`));
        return;
      }
      const e = err as NodeJS.ErrnoException;
      reject(
        new ExchangeError(
          `${target}: ${gotResponse ? socketErrorText(e) : dialErrorText(host, port, e)}`,
        ),
      );
    };
    const options: https.RequestOptions = {
      method: 'GET',
      headers,
      // A fresh connection per attempt, closed after it, as kubelet's prober does.
      agent: false,
      signal,
      // Probes check that the application answers, not who it is: no certificate checks.
      rejectUnauthorized: false,
    };
    const req = (url.protocol === 'https:' ? https : http).request(url, options, (res) => {
      gotResponse = true;
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        resolve({
          status: res.statusCode ?? 0,
          location: res.headers.location,
          body: Buffer.concat(chunks).subarray(0, maxProbeBodyBytes).toString('utf8'),
        });
        res.destroy();
      };
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        // Past the limit the rest of the body is not wanted: hang up instead of draining it.
        if (size >= maxProbeBodyBytes) done();
      });
      res.once('end', done);
      res.once('error', fail);
    });
    req.once('error', fail);
    req.end();
  });
}

/**
 * httpGetProbe runs one HTTP probe: 200–399 succeeds; redirects to the same host are followed
 * (at most ten), and a redirect to another host passes with a warning, as kubelet does.
 */
export async function httpGetProbe(request: HttpProbeRequest): Promise<ProbeOutcome> {
  const headers = requestHeaders(request.headers);
  const signal = AbortSignal.timeout(request.timeoutMs);
  let url = request.url;
  try {
    for (let redirects = 0; ; redirects++) {
      const res = await exchange(url, headers, signal);
      if (followedRedirects.has(res.status) && res.location !== undefined) {
        const next = new URL(res.location, url);
        if (next.hostname === request.url.hostname) {
          if (redirects >= maxRedirects)
            return {
              result: 'failure',
              output: `Get ${JSON.stringify(next.href)}: stopped after ${maxRedirects} redirects`,
            };
          url = next;
          continue;
        }
      }
      if (res.status >= 200 && res.status < 300) return { result: 'success', output: res.body };
      if (res.status >= 300 && res.status < 400)
        return {
          result: 'warning',
          output: `Probe terminated redirects, Response body: ${res.body}`,
        };
      return { result: 'failure', output: `HTTP probe failed with statuscode: ${res.status}` };
    }
  } catch (err) {
    if (err instanceof ExchangeError) return { result: 'failure', output: err.message };
    throw err;
  }
}
