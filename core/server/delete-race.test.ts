import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinKindRegistry } from '../../sdk/api/builtin-kinds.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { type ApiServer, createApiServer } from './app.ts';

// A node agent posts a pod's status while someone deletes the pod: the write lands between the
// server's read and its own write. The store below makes that happen on demand, right after
// the read of the key named in `raceOn`.
let dir: string;
let store: Store;
let server: ApiServer;
let raceOn: { suffix: string; times: number } | undefined;

function racingStore(inner: Store): Store {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'get') {
        return async (key: string) => {
          const item = await target.get(key);
          if (item && raceOn && key.endsWith(raceOn.suffix) && raceOn.times > 0) {
            raceOn.times--;
            await target.update(key, item.value, { expectedModRevision: item.modRevision });
          }
          return item;
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-apiserver-delete-race-'));
  store = openStore(`sqlite:${join(dir, 'state.db')}`);
  server = await createApiServer({ store: racingStore(store), kinds: builtinKindRegistry() });
});

afterAll(async () => {
  await server?.app.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field in assertions
type Json = Record<string, any>;
async function call(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) {
  const r = await server.app.inject({
    method,
    url,
    headers: payload === undefined ? {} : { 'content-type': 'application/json' },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });
  return { status: r.statusCode, body: r.json() as Json };
}

const pods = '/api/v1/namespaces/default/pods';
const pod = (name: string, nodeName?: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'main', image: 'busybox' }] },
});

describe('DELETE while another write lands between read and write', () => {
  it('removes an unbound pod anyway, as Kubernetes retries a delete without preconditions', async () => {
    expect((await call('POST', pods, pod('racer'))).status).toBe(201);
    raceOn = { suffix: '/pods/default/racer', times: 2 };
    const r = await call('DELETE', `${pods}/racer`);
    expect(r.status).toBe(200);
    expect(raceOn.times).toBe(0);
    expect((await call('GET', `${pods}/racer`)).status).toBe(404);
  });

  it('marks a bound pod for graceful deletion anyway', async () => {
    expect((await call('POST', pods, pod('bound-racer', 'node-a'))).status).toBe(201);
    raceOn = { suffix: '/pods/default/bound-racer', times: 1 };
    const r = await call('DELETE', `${pods}/bound-racer`);
    expect(r.status).toBe(200);
    const after = await call('GET', `${pods}/bound-racer`);
    expect(after.body.metadata.deletionTimestamp).toBeDefined();
  });

  it('answers 409 in Kubernetes words, never the store key, when the races do not stop', async () => {
    expect((await call('POST', pods, pod('hot'))).status).toBe(201);
    raceOn = { suffix: '/pods/default/hot', times: 100 };
    const r = await call('DELETE', `${pods}/hot`);
    raceOn = undefined;
    expect(r.status).toBe(409);
    expect(r.body.reason).toBe('Conflict');
    expect(r.body.message).toContain('Operation cannot be fulfilled on pods "hot"');
    expect(r.body.message).not.toContain('/registry');
    expect((await call('GET', `${pods}/hot`)).status).toBe(200);
  });

  it('still refuses a stale resourceVersion precondition at once', async () => {
    const made = await call('POST', pods, pod('guarded'));
    const rv = made.body.metadata.resourceVersion as string;
    raceOn = { suffix: '/pods/default/guarded', times: 1 };
    const r = await call('DELETE', `${pods}/guarded`, { preconditions: { resourceVersion: rv } });
    raceOn = undefined;
    expect(r.status).toBe(409);
    expect((await call('GET', `${pods}/guarded`)).status).toBe(200);
  });
});
