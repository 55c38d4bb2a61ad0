import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { grpcCode, SkiffError } from '../errors.ts';
import type { RuntimeAdapter, RuntimeCapabilities } from './adapter.ts';
import { callBudgetMs, connectRuntime, type RuntimeClient } from './client.ts';
import { RuntimeCallError } from './grpc-status.ts';
import { type RuntimeServer, serveRuntime, unixSocketPath } from './server.ts';

const capabilities: RuntimeCapabilities = {
  exec: false,
  streamingExec: false,
  attach: false,
  portForward: false,
  stats: false,
  events: false,
  isolation: 'container',
};

const notFound = async (): Promise<never> => {
  throw new SkiffError('NotFound', 'no such sandbox');
};

// A small adapter: lists one sandbox, knows no ids, and is slow to list containers.
function testAdapter(): RuntimeAdapter & { closed: boolean } {
  return {
    runtimeName: 'skiff-test',
    runtimeVersion: '0.0.1',
    capabilities,
    closed: false,
    async close() {
      this.closed = true;
    },
    async status() {
      return {
        status: {
          conditions: [
            { type: 'RuntimeReady', status: true },
            { type: 'NetworkReady', status: true },
          ],
        },
      };
    },
    async runPodSandbox(req) {
      if (!req.config?.metadata?.name) throw new SkiffError('Invalid', 'metadata.name is required');
      return { podSandboxId: 'sb-1' };
    },
    async stopPodSandbox() {
      return {};
    },
    async removePodSandbox() {
      return {};
    },
    podSandboxStatus: notFound,
    async listPodSandbox() {
      return { items: [{ id: 'sb-1', createdAt: '1700000000123456789', state: 'SANDBOX_READY' }] };
    },
    createContainer: notFound,
    startContainer: notFound,
    async stopContainer() {
      return {};
    },
    async removeContainer() {
      return {};
    },
    async listContainers(_req, call) {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      return { containers: call.signal.aborted ? [] : [] };
    },
    containerStatus: notFound,
    async listImages() {
      return { images: [] };
    },
    async imageStatus() {
      return {};
    },
    async pullImage() {
      throw new Error('registry exploded');
    },
    async removeImage() {
      return {};
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'skiff-runtime-kit-'));
const endpoint = `unix://${join(dir, 'sub', 'runtime.sock')}`;
let server: RuntimeServer | undefined;
let client: RuntimeClient | undefined;

afterEach(async () => {
  client?.close();
  client = undefined;
  await server?.close();
  server = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rejection(p: Promise<unknown>): Promise<RuntimeCallError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RuntimeCallError) return err;
    throw err;
  }
  throw new Error('the call succeeded');
}

describe('serveRuntime and RuntimeClient over a unix socket', () => {
  it('creates the socket directory and a socket only its owner may use (0600)', async () => {
    server = await serveRuntime(testAdapter(), { listen: endpoint });
    expect(statSync(server.socketPath).isSocket()).toBe(true);
    expect(statSync(server.socketPath).mode & 0o777).toBe(0o600);
  });

  it('answers Version from the adapter name and Status with the capabilities when verbose', async () => {
    server = await serveRuntime(testAdapter(), { listen: endpoint });
    client = connectRuntime(endpoint);
    const v = await client.version({ version: 'v1' });
    expect(v).toMatchObject({
      runtimeName: 'skiff-test',
      runtimeVersion: '0.0.1',
      runtimeApiVersion: 'v1',
    });
    expect(await client.capabilities()).toEqual(capabilities);
    const plain = await client.status({});
    expect(plain.info).toEqual({});
    expect(plain.status?.conditions.map((c) => c.type)).toEqual(['RuntimeReady', 'NetworkReady']);
    const list = await client.listPodSandbox({});
    expect(list.items[0]).toMatchObject({
      id: 'sb-1',
      createdAt: '1700000000123456789',
      state: 'SANDBOX_READY',
    });
  });

  it.each([
    [
      'a method the adapter lacks',
      (c: RuntimeClient) => c.execSync({ containerId: 'x' }),
      grpcCode.UNIMPLEMENTED,
      'Unimplemented',
    ],
    [
      'SkiffError NotFound',
      (c: RuntimeClient) => c.containerStatus({ containerId: 'nope' }),
      grpcCode.NOT_FOUND,
      'NotFound',
    ],
    [
      'SkiffError Invalid',
      (c: RuntimeClient) => c.runPodSandbox({ config: {} }),
      grpcCode.INVALID_ARGUMENT,
      'Invalid',
    ],
    [
      'a plain fault',
      (c: RuntimeClient) => c.pullImage({ image: { image: 'x' } }),
      grpcCode.UNKNOWN,
      'InternalError',
    ],
    [
      'an image rpc the adapter lacks',
      (c: RuntimeClient) => c.imageFsInfo({}),
      grpcCode.UNIMPLEMENTED,
      'Unimplemented',
    ],
  ] as const)('%s answers gRPC %s', async (_name, call, code, skiffCode) => {
    server = await serveRuntime(testAdapter(), { listen: endpoint });
    client = connectRuntime(endpoint);
    const err = await rejection(call(client));
    expect(err.grpcCode).toBe(code);
    expect(err.code).toBe(skiffCode);
  });

  it('a streaming rpc the adapter lacks answers UNIMPLEMENTED', async () => {
    server = await serveRuntime(testAdapter(), { listen: endpoint });
    client = connectRuntime(endpoint);
    const events = client.getContainerEvents({});
    const err = await rejection(
      (async () => {
        for await (const _ of events) return;
      })(),
    );
    expect(err.grpcCode).toBe(grpcCode.UNIMPLEMENTED);
  });

  it('streams GetContainerEvents from an adapter that implements it', async () => {
    const adapter = testAdapter();
    adapter.getContainerEvents = async function* () {
      yield { containerId: 'c1', containerEventType: 'CONTAINER_CREATED_EVENT' };
      yield { containerId: 'c1', containerEventType: 'CONTAINER_STARTED_EVENT', createdAt: 42 };
    };
    server = await serveRuntime(adapter, { listen: endpoint });
    client = connectRuntime(endpoint);
    const seen: string[] = [];
    for await (const e of client.getContainerEvents({})) {
      seen.push(`${e.containerId} ${e.containerEventType} ${e.createdAt}`);
    }
    expect(seen).toEqual(['c1 CONTAINER_CREATED_EVENT 0', 'c1 CONTAINER_STARTED_EVENT 42']);
  });

  it('a call past its deadline fails with DEADLINE_EXCEEDED', async () => {
    server = await serveRuntime(testAdapter(), { listen: endpoint });
    client = connectRuntime(endpoint, { timeoutMs: 200 });
    const err = await rejection(client.listContainers({}));
    expect(err.grpcCode).toBe(grpcCode.DEADLINE_EXCEEDED);
    expect(err.code).toBe('Timeout');
  });

  it('fails fast with UNAVAILABLE while the runtime is down and picks up a restarted one', async () => {
    server = await serveRuntime(testAdapter(), { listen: endpoint });
    client = connectRuntime(endpoint, { timeoutMs: 5_000 });
    expect((await client.version({})).runtimeName).toBe('skiff-test');
    const adapter = testAdapter();
    await server.close();
    server = undefined;
    const down = await rejection(client.version({}));
    expect(down.grpcCode).toBe(grpcCode.UNAVAILABLE);
    server = await serveRuntime(adapter, { listen: endpoint });
    let answer: string | undefined;
    for (let i = 0; i < 100 && !answer; i++) {
      answer = await client.version({}).then(
        (v) => v.runtimeName,
        () => new Promise<undefined>((r) => setTimeout(() => r(undefined), 100)),
      );
    }
    expect(answer).toBe('skiff-test');
  });

  it('refuses a socket another server answers on, and replaces a stale one', async () => {
    server = await serveRuntime(testAdapter(), { listen: endpoint });
    await expect(serveRuntime(testAdapter(), { listen: endpoint })).rejects.toThrow(
      /already serves/,
    );
    client = connectRuntime(endpoint);
    expect((await client.version({})).runtimeName).toBe('skiff-test');
    client.close();
    client = undefined;
    // A leftover file nobody listens on, as a crashed runtime leaves its socket.
    const stale = join(dir, 'stale.sock');
    writeFileSync(stale, '');
    const second = await serveRuntime(testAdapter(), { listen: `unix://${stale}` });
    expect(statSync(stale).isSocket()).toBe(true);
    await second.close();
  });

  it('refuses to serve an adapter whose capabilities promise methods it lacks', async () => {
    const adapter = testAdapter();
    const liar = Object.assign(adapter, {
      capabilities: { ...capabilities, exec: true, events: true },
    });
    await expect(serveRuntime(liar, { listen: endpoint })).rejects.toThrow(
      /declares exec but does not implement ExecSync; declares events but does not implement GetContainerEvents/,
    );
    expect(() => statSync(unixSocketPath(endpoint))).toThrow();
  });

  it('close() lets a call in flight finish within the grace, and cuts it after', async () => {
    const patient = await serveRuntime(testAdapter(), { listen: endpoint, graceMs: 10_000 });
    client = connectRuntime(endpoint, { timeoutMs: 10_000 });
    await client.waitForReady(5_000);
    const inFlight = client.listContainers({});
    await new Promise((r) => setTimeout(r, 200));
    await patient.close();
    expect((await inFlight).containers).toEqual([]);

    const slow = testAdapter();
    let started = 0;
    const list = slow.listContainers;
    slow.listContainers = (req, call) => {
      started += 1;
      return list.call(slow, req, call);
    };
    const hasty = await serveRuntime(slow, { listen: endpoint, graceMs: 100 });
    await client.waitForReady(10_000);
    const cut = client.listContainers({});
    cut.catch(() => {});
    for (let i = 0; i < 100 && started === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(started).toBe(1);
    await hasty.close();
    const err = await rejection(cut);
    expect([grpcCode.CANCELLED, grpcCode.UNAVAILABLE, grpcCode.INTERNAL]).toContain(err.grpcCode);
  });

  it('close() stops serving, removes the socket and closes the adapter', async () => {
    const adapter = testAdapter();
    const s = await serveRuntime(adapter, { listen: endpoint, graceMs: 500 });
    await s.close();
    expect(adapter.closed).toBe(true);
    expect(() => statSync(s.socketPath)).toThrow();
  });

  it.each(['tcp://127.0.0.1:1', 'unix://relative.sock', ''])('refuses endpoint %j', (bad) => {
    expect(() => unixSocketPath(bad)).toThrow(/unix:\/\/\/absolute\/path/);
  });

  it.each([
    ['ExecSync', { timeout: 120 }, 130_000],
    ['ExecSync', { timeout: 0 }, 30_000],
    ['StopContainer', { timeout: 2 }, 30_000],
    ['StopContainer', { timeout: '600' }, 610_000],
    ['ListContainers', { timeout: 600 }, 30_000],
  ] as const)('a %s call with %j gets a deadline of %i ms', (rpc, request, expected) => {
    expect(callBudgetMs(rpc, request, 30_000)).toBe(expected);
  });
});
