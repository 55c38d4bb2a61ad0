import type { Container, Probe } from '../../../sdk/api/core/container.ts';
import { grpcCode } from '../../../sdk/errors.ts';
import type { RuntimeClient } from '../../../sdk/runtime/client.ts';
import { RuntimeCallError } from '../../../sdk/runtime/grpc-status.ts';
import { grpcHealthProbe } from './grpc-health.ts';
import { httpGetProbe, maxProbeBodyBytes, tcpSocketProbe } from './network.ts';
import type { ProbeOutcome } from './outcome.ts';
import type { ProbeTarget } from './types.ts';

/** defaultTimeoutSeconds is a probe's timeout when it sets none. */
export const defaultTimeoutSeconds = 1;

// The runtime enforces an exec probe's timeout; the agent waits this much longer before it
// gives up on a runtime that does not answer at all.
const execGraceMs = 2000;

/** timeoutSecondsOf is the probe's timeout in seconds (at least 1). */
export function timeoutSecondsOf(probe: Probe): number {
  const t = probe.timeoutSeconds;
  return t !== undefined && t >= 1 ? t : defaultTimeoutSeconds;
}

/** PortResolution is a probe port as a number, or why it has none. */
export type PortResolution = { port: number } | { error: string };

/**
 * resolvePort turns a probe's port (a number, or the name of one of the container's ports)
 * into a port number.
 */
export function resolvePort(port: number | string, container: Container): PortResolution {
  let n: number;
  if (typeof port === 'number') n = port;
  else {
    const named = container.ports?.find((p) => p.name === port);
    if (named) n = named.containerPort;
    // kubelet also accepts a number written as a string.
    else if (/^\d+$/.test(port)) n = Number(port);
    else {
      const names = (container.ports ?? []).flatMap((p) => (p.name ? [p.name] : []));
      const known = names.length ? `its named ports are ${names.join(', ')}` : 'it names no ports';
      return {
        error: `port ${JSON.stringify(port)} is not a port name of container ${JSON.stringify(container.name)} (${known})`,
      };
    }
  }
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    return { error: `invalid port number: ${n} (must be 1-65535)` };
  return { port: n };
}

function bytesText(...parts: Array<Uint8Array | undefined>): string {
  const all = Buffer.concat(parts.filter((p): p is Uint8Array => p !== undefined));
  return all.subarray(0, maxProbeBodyBytes).toString('utf8');
}

/** execProbe runs the command in the container through the runtime; exit code 0 succeeds. */
export async function execProbe(
  runtime: Pick<RuntimeClient, 'execSync'>,
  containerId: string,
  cmd: string[],
  timeoutSeconds: number,
): Promise<ProbeOutcome> {
  const timedOut = `command ${JSON.stringify(cmd.join(' '))} timed out`;
  const abort = new AbortController();
  const guard = setTimeout(() => abort.abort(), timeoutSeconds * 1000 + execGraceMs);
  try {
    const res = await runtime.execSync(
      { containerId, cmd, timeout: timeoutSeconds },
      { signal: abort.signal, timeoutMs: timeoutSeconds * 1000 + execGraceMs },
    );
    // Like kubelet, the output is stdout then stderr, cut at 10 KiB.
    const output = bytesText(res.stdout, res.stderr);
    return { result: res.exitCode === 0 ? 'success' : 'failure', output };
  } catch (err) {
    if (abort.signal.aborted) return { result: 'failure', output: timedOut };
    if (err instanceof RuntimeCallError && err.grpcCode === grpcCode.DEADLINE_EXCEEDED)
      return { result: 'failure', output: timedOut };
    return { result: 'error', output: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(guard);
  }
}

function urlOf(scheme: string, host: string, port: number, path: string): URL {
  const h = host.includes(':') ? `[${host}]` : host;
  const p = path.startsWith('/') ? path : `/${path}`;
  return new URL(`${scheme}://${h}:${port}${p}`);
}

/**
 * runProbe makes one attempt of a probe against a container: exec through the runtime,
 * httpGet or tcpSocket to the pod's IP (or the probe's host), grpc to the pod's IP.
 */
export async function runProbe(probe: Probe, target: ProbeTarget): Promise<ProbeOutcome> {
  const timeoutSeconds = timeoutSecondsOf(probe);
  if (probe.exec) {
    const cmd = probe.exec.command ?? [];
    if (cmd.length === 0) return { result: 'error', output: 'the exec probe has no command' };
    return execProbe(target.runtime, target.containerId, cmd, timeoutSeconds);
  }
  const action = probe.httpGet ?? probe.tcpSocket;
  if (action) {
    const resolved = resolvePort(action.port, target.container);
    if ('error' in resolved) return { result: 'failure', output: resolved.error };
    const host = action.host || target.podIP;
    if (!host) return { result: 'error', output: 'the pod has no IP address yet' };
    if (probe.httpGet) {
      const scheme = probe.httpGet.scheme?.toUpperCase() === 'HTTPS' ? 'https' : 'http';
      let url: URL;
      try {
        url = urlOf(scheme, host, resolved.port, probe.httpGet.path ?? '/');
      } catch {
        return { result: 'failure', output: `invalid probe URL for host ${JSON.stringify(host)}` };
      }
      return httpGetProbe({
        url,
        headers: probe.httpGet.httpHeaders ?? [],
        timeoutMs: timeoutSeconds * 1000,
      });
    }
    return tcpSocketProbe(host, resolved.port, timeoutSeconds * 1000);
  }
  if (probe.grpc) {
    if (!target.podIP) return { result: 'error', output: 'the pod has no IP address yet' };
    const resolved = resolvePort(probe.grpc.port, target.container);
    if ('error' in resolved) return { result: 'failure', output: resolved.error };
    return grpcHealthProbe(target.podIP, resolved.port, probe.grpc.service ?? '', timeoutSeconds);
  }
  return { result: 'error', output: 'the probe names no action (exec, httpGet, tcpSocket, grpc)' };
}
