import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Probe } from '../../../sdk/api/core/container.ts';
import { healthCheckCodec, healthCheckPath } from './grpc-health.ts';
import { runProbe } from './run.ts';
import { closedPort, execRuntime, probeTarget } from './test-servers.ts';

let health: grpc.Server;
let bare: grpc.Server;
let healthPort: number;
let barePort: number;
let refused: number;
const agents: string[] = [];

// Service name → status; names absent here answer NOT_FOUND, as grpc's health service does.
const statuses: Record<string, string> = { '': 'SERVING', db: 'NOT_SERVING', slow: 'SERVING' };

async function listen(server: grpc.Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );
}

beforeAll(async () => {
  health = new grpc.Server();
  health.addService(
    {
      Check: {
        path: healthCheckPath,
        requestStream: false,
        responseStream: false,
        requestSerialize: healthCheckCodec.encodeRequest,
        requestDeserialize: healthCheckCodec.decodeRequest,
        responseSerialize: healthCheckCodec.encodeResponse,
        responseDeserialize: healthCheckCodec.decodeResponse,
      },
    },
    {
      Check: (
        call: grpc.ServerUnaryCall<{ service: string }, { status: string }>,
        reply: grpc.sendUnaryData<{ status: string }>,
      ) => {
        agents.push(String(call.metadata.get('user-agent')[0] ?? ''));
        const status = statuses[call.request.service];
        if (call.request.service === 'slow')
          setTimeout(() => reply(null, { status: 'SERVING' }), 3000);
        else if (status) reply(null, { status });
        else reply({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
      },
    },
  );
  bare = new grpc.Server();
  [healthPort, barePort, refused] = await Promise.all([listen(health), listen(bare), closedPort()]);
});
afterAll(() => {
  health?.forceShutdown();
  bare?.forceShutdown();
});

describe('grpc probe', () => {
  const cases: Array<{ name: string; probe: () => Probe; result: string; output: () => string }> = [
    {
      name: 'SERVING',
      probe: () => ({ grpc: { port: healthPort } }),
      result: 'success',
      output: () => 'service healthy',
    },
    {
      name: 'NOT_SERVING',
      probe: () => ({ grpc: { port: healthPort, service: 'db' } }),
      result: 'failure',
      output: () => 'service unhealthy (responded with "NOT_SERVING")',
    },
    {
      name: 'unknown service',
      probe: () => ({ grpc: { port: healthPort, service: 'other' } }),
      result: 'failure',
      output: () =>
        'error: health rpc probe failed: rpc error: code = NotFound desc = unknown service',
    },
    {
      name: 'no health service',
      probe: () => ({ grpc: { port: barePort } }),
      result: 'failure',
      output: () =>
        expect.stringMatching(
          /^error: this server does not implement the grpc health protocol \(grpc\.health\.v1\.Health\): /,
        ),
    },
    {
      name: 'answer slower than timeoutSeconds',
      probe: () => ({ grpc: { port: healthPort, service: 'slow' }, timeoutSeconds: 1 }),
      result: 'failure',
      output: () => 'timeout: health rpc did not complete within 1s',
    },
    {
      name: 'nothing listening',
      probe: () => ({ grpc: { port: refused }, timeoutSeconds: 1 }),
      result: 'failure',
      output: () =>
        `timeout: failed to connect service "127.0.0.1:${refused}" within 1s: context deadline exceeded`,
    },
  ];
  it.each(cases)('$name', async ({ probe, result, output }) => {
    const p = probe();
    const outcome = await runProbe(
      p,
      probeTarget({ name: 'app', livenessProbe: p }, execRuntime(() => 'notfound').runtime),
    );
    expect(outcome).toEqual({ result, output: output() });
  });

  it('introduces itself as kube-probe/1.32', async () => {
    agents.length = 0;
    await runProbe(
      { grpc: { port: healthPort } },
      probeTarget({ name: 'app' }, execRuntime(() => 'notfound').runtime),
    );
    expect(agents).toHaveLength(1);
    expect(agents[0]).toMatch(/^kube-probe\/1\.32( |$)/);
  });
});
