import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container, Probe } from '../../../sdk/api/core/container.ts';
import { probeUserAgent } from './network.ts';
import { resolvePort, runProbe } from './run.ts';
import {
  closedPort,
  type ExecAnswer,
  execRuntime,
  type ProbeTestServer,
  probeTarget,
  startProbeTestServer,
} from './test-servers.ts';

let plain: ProbeTestServer;
let secure: ProbeTestServer;
let refused: number;

beforeAll(async () => {
  plain = await startProbeTestServer();
  secure = await startProbeTestServer(true);
  refused = await closedPort();
});
afterAll(async () => {
  await plain?.close();
  await secure?.close();
});

const container = (extra: Partial<Container> = {}): Container => ({
  name: 'app',
  image: 'busybox',
  ports: [
    { name: 'http', containerPort: 0 },
    { name: 'metrics', containerPort: 9100 },
  ],
  ...extra,
});

// The named port `http` is filled in with the plain server's port once it listens.
function target(probe: Probe, answer: (cmd: string[]) => ExecAnswer = () => ({ exitCode: 0 })) {
  const c = container({ livenessProbe: probe });
  c.ports![0]!.containerPort = plain.port;
  return probeTarget(c, execRuntime(answer).runtime);
}

describe('runProbe httpGet', () => {
  const cases: Array<{
    name: string;
    probe: () => Probe;
    result: string;
    output?: string | (() => string);
  }> = [
    {
      name: '200',
      probe: () => ({ httpGet: { port: plain.port, path: '/status/200' } }),
      result: 'success',
    },
    {
      name: '204',
      probe: () => ({ httpGet: { port: plain.port, path: '/status/204' } }),
      result: 'success',
    },
    {
      name: '399 is still a pass (with a warning)',
      probe: () => ({ httpGet: { port: plain.port, path: '/status/399' } }),
      result: 'warning',
    },
    {
      name: '400',
      probe: () => ({ httpGet: { port: plain.port, path: '/status/400' } }),
      result: 'failure',
      output: 'HTTP probe failed with statuscode: 400',
    },
    {
      name: '500',
      probe: () => ({ httpGet: { port: plain.port, path: '/status/500' } }),
      result: 'failure',
      output: 'HTTP probe failed with statuscode: 500',
    },
    {
      name: 'path without a leading slash',
      probe: () => ({ httpGet: { port: plain.port, path: 'status/200' } }),
      result: 'success',
    },
    {
      name: 'redirect on the same host is followed',
      probe: () => ({ httpGet: { port: plain.port, path: '/to/status/503' } }),
      result: 'failure',
      output: 'HTTP probe failed with statuscode: 503',
    },
    {
      name: 'redirect to another host passes with a warning',
      probe: () => ({ httpGet: { port: plain.port, path: '/away' } }),
      result: 'warning',
      output: 'Probe terminated redirects, Response body: moved away',
    },
    {
      name: 'endless redirects',
      probe: () => ({ httpGet: { port: plain.port, path: '/loop' } }),
      result: 'failure',
      output: () => `Get "http://127.0.0.1:${plain.port}/loop": stopped after 10 redirects`,
    },
    {
      name: 'named port',
      probe: () => ({ httpGet: { port: 'http', path: '/status/200' } }),
      result: 'success',
    },
    {
      name: 'port number written as a string',
      probe: () => ({ httpGet: { port: String(plain.port), path: '/status/200' } }),
      result: 'success',
    },
    {
      name: 'unknown port name',
      probe: () => ({ httpGet: { port: 'admin', path: '/' } }),
      result: 'failure',
      output:
        'port "admin" is not a port name of container "app" (its named ports are http, metrics)',
    },
    {
      name: 'connection refused',
      probe: () => ({ httpGet: { port: refused, path: '/healthz' } }),
      result: 'failure',
      output: () =>
        `Get "http://127.0.0.1:${refused}/healthz": dial tcp 127.0.0.1:${refused}: connect: connection refused`,
    },
    {
      name: 'no answer within timeoutSeconds',
      probe: () => ({ httpGet: { port: plain.port, path: '/slow' }, timeoutSeconds: 1 }),
      result: 'failure',
      output: () =>
        `Get "http://127.0.0.1:${plain.port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    },
    {
      name: 'HTTPS with a self-signed certificate',
      probe: () => ({ httpGet: { port: secure.port, path: '/status/200', scheme: 'HTTPS' } }),
      result: 'success',
    },
    {
      name: 'HTTPS failing status',
      probe: () => ({ httpGet: { port: secure.port, path: '/status/404', scheme: 'HTTPS' } }),
      result: 'failure',
      output: 'HTTP probe failed with statuscode: 404',
    },
    {
      name: 'explicit host',
      probe: () => ({ httpGet: { host: 'localhost', port: plain.port, path: '/status/200' } }),
      result: 'success',
    },
  ];
  it.each(cases)('$name', async ({ probe, result, output }) => {
    const outcome = await runProbe(probe(), target(probe()));
    expect(outcome.result).toBe(result);
    if (output !== undefined)
      expect(outcome.output).toBe(typeof output === 'string' ? output : output());
  });

  it('sends kubelet User-Agent and Accept, and the probe headers (Host included)', async () => {
    const probe: Probe = {
      httpGet: {
        port: plain.port,
        path: '/status/200?probe=1',
        httpHeaders: [
          { name: 'X-Custom', value: 'a' },
          { name: 'x-custom', value: 'b' },
          { name: 'Host', value: 'app.example' },
        ],
      },
    };
    const before = plain.requests.length;
    expect((await runProbe(probe, target(probe))).result).toBe('success');
    const seen = plain.requests.slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.path).toBe('/status/200?probe=1');
    expect(seen[0]!.headers['user-agent']).toBe(probeUserAgent);
    expect(probeUserAgent).toBe('kube-probe/1.32');
    expect(seen[0]!.headers.accept).toBe('*/*');
    expect(seen[0]!.headers['x-custom']).toBe('a, b');
    expect(seen[0]!.headers.host).toBe('app.example');
  });

  it('a User-Agent among the probe headers replaces kubelet’s', async () => {
    const probe: Probe = {
      httpGet: {
        port: plain.port,
        path: '/status/200',
        httpHeaders: [{ name: 'user-agent', value: 'mine' }],
      },
    };
    const before = plain.requests.length;
    await runProbe(probe, target(probe));
    expect(plain.requests[before]!.headers['user-agent']).toBe('mine');
  });

  it('reads no more than about 10 KiB of an endless body', async () => {
    const probe: Probe = { httpGet: { port: plain.port, path: '/big' }, timeoutSeconds: 5 };
    const outcome = await runProbe(probe, target(probe));
    expect(outcome.result).toBe('success');
    expect(Buffer.byteLength(outcome.output)).toBe(10 * 1024);
    // The server keeps writing until the socket closes; socket buffers hold a few hundred KiB at most.
    await new Promise((r) => setTimeout(r, 100));
    expect(plain.bodyBytesSent()).toBeLessThan(16 * 1024 * 1024);
  });

  it('fails when the pod has no IP and the probe no host (not counted)', async () => {
    const probe: Probe = { httpGet: { port: 80, path: '/' } };
    const t = target(probe);
    delete t.podIP;
    expect(await runProbe(probe, t)).toEqual({
      result: 'error',
      output: 'the pod has no IP address yet',
    });
  });
});

describe('runProbe tcpSocket', () => {
  const cases: Array<{
    name: string;
    probe: () => Probe;
    result: string;
    output?: string | (() => string);
  }> = [
    {
      name: 'open port',
      probe: () => ({ tcpSocket: { port: plain.port } }),
      result: 'success',
      output: '',
    },
    { name: 'named port', probe: () => ({ tcpSocket: { port: 'http' } }), result: 'success' },
    {
      name: 'refused',
      probe: () => ({ tcpSocket: { port: refused } }),
      result: 'failure',
      output: () => `dial tcp 127.0.0.1:${refused}: connect: connection refused`,
    },
    {
      name: 'unknown port name',
      probe: () => ({ tcpSocket: { port: 'grpc' } }),
      result: 'failure',
      output:
        'port "grpc" is not a port name of container "app" (its named ports are http, metrics)',
    },
  ];
  it.each(cases)('$name', async ({ probe, result, output }) => {
    const outcome = await runProbe(probe(), target(probe()));
    expect(outcome.result).toBe(result);
    if (output !== undefined)
      expect(outcome.output).toBe(typeof output === 'string' ? output : output());
  });
});

describe('runProbe exec', () => {
  const cases: Array<{ name: string; answer: ExecAnswer; result: string; output: string }> = [
    { name: 'exit 0', answer: { exitCode: 0, stdout: 'ok\n' }, result: 'success', output: 'ok\n' },
    {
      name: 'exit 1 with stdout and stderr',
      answer: { exitCode: 1, stdout: 'out ', stderr: "cat: can't open '/tmp/healthy'" },
      result: 'failure',
      output: "out cat: can't open '/tmp/healthy'",
    },
    {
      name: 'runtime says the deadline passed',
      answer: 'timeout',
      result: 'failure',
      output: 'command "cat /tmp/healthy" timed out',
    },
    {
      name: 'runtime error is not a verdict',
      answer: 'notfound',
      result: 'error',
      output: 'ExecSync: NOT_FOUND: no such container',
    },
    {
      name: 'output is cut at 10 KiB',
      answer: { exitCode: 1, stdout: 'y'.repeat(20_000) },
      result: 'failure',
      output: 'y'.repeat(10 * 1024),
    },
  ];
  it.each(cases)('$name', async ({ answer, result, output }) => {
    const probe: Probe = { exec: { command: ['cat', '/tmp/healthy'] }, timeoutSeconds: 3 };
    const fake = execRuntime(() => answer);
    const c = container({ livenessProbe: probe });
    const outcome = await runProbe(probe, probeTarget(c, fake.runtime, 0, 'c-1'));
    expect(outcome).toEqual({ result, output });
    expect(fake.calls).toEqual([{ containerId: 'c-1', cmd: ['cat', '/tmp/healthy'], timeout: 3 }]);
  });

  it('gives up on a runtime that never answers (timeout plus a grace)', async () => {
    const probe: Probe = { exec: { command: ['sleep', '100'] }, timeoutSeconds: 1 };
    const fake = execRuntime(() => 'hang');
    const outcome = await runProbe(probe, probeTarget(container(), fake.runtime));
    expect(outcome).toEqual({ result: 'failure', output: 'command "sleep 100" timed out' });
  });
});

describe('resolvePort', () => {
  const c = container();
  it.each([
    [80, { port: 80 }],
    ['metrics', { port: 9100 }],
    ['8080', { port: 8080 }],
    [0, { error: 'invalid port number: 0 (must be 1-65535)' }],
    [70000, { error: 'invalid port number: 70000 (must be 1-65535)' }],
    [
      'nope',
      {
        error:
          'port "nope" is not a port name of container "app" (its named ports are http, metrics)',
      },
    ],
  ] as const)('%s', (port, want) => {
    expect(resolvePort(port, c)).toEqual(want);
  });
  it('says when the container names no ports', () => {
    expect(resolvePort('web', { name: 'bare' })).toEqual({
      error: 'port "web" is not a port name of container "bare" (it names no ports)',
    });
  });
});
