import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinKindRegistry } from '../../sdk/api/builtin-kinds.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { type ApiServer, createApiServer } from './app.ts';

let dir: string;
let store: Store;
let server: ApiServer;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-apiserver-watch-'));
  store = openStore(`sqlite:${join(dir, 'state.db')}`);
  server = await createApiServer({ store, kinds: builtinKindRegistry(), bookmarkIntervalMs: 200 });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = server.app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});

afterAll(async () => {
  await server.app.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

type Json = Record<string, any>;

async function call(method: string, path: string, body?: unknown, type = 'application/json') {
  const r = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : {
          body: typeof body === 'string' ? body : JSON.stringify(body),
          headers: { 'content-type': type },
        }),
  });
  return { status: r.status, body: (await r.json()) as Json };
}

/** watchEvents opens a watch and collects events until `until` says stop (or the server ends it). */
function watchEvents(
  path: string,
  until: (events: Json[]) => boolean,
): Promise<{ events: Json[] }> {
  return new Promise((resolve, reject) => {
    const events: Json[] = [];
    let buf = '';
    const req = request(`${base}${path}`, (res) => {
      res.on('data', (chunk: Buffer) => {
        buf += chunk.toString();
        let nl = buf.indexOf('\n');
        while (nl >= 0) {
          events.push(JSON.parse(buf.slice(0, nl)) as Json);
          buf = buf.slice(nl + 1);
          nl = buf.indexOf('\n');
        }
        if (until(events)) {
          req.destroy();
          resolve({ events });
        }
      });
      res.on('end', () => resolve({ events }));
    });
    req.on('error', (err) => (events.length > 0 ? resolve({ events }) : reject(err)));
    req.end();
  });
}

const cm = (
  name: string,
  data: Record<string, string> = {},
  labels: Record<string, string> = {},
) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data,
});

describe('watch', () => {
  it('sends ADDED for existing objects without a resourceVersion, then later changes, filtered by labels', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', cm('w1', {}, { app: 'a' }));
    await call('POST', '/api/v1/namespaces/default/configmaps', cm('other', {}, { app: 'b' }));
    const done = watchEvents(
      '/api/v1/namespaces/default/configmaps?watch=true&labelSelector=app%3Da',
      (e) => e.length >= 3,
    );
    await new Promise((r) => setTimeout(r, 200));
    const w1 = (await call('GET', '/api/v1/namespaces/default/configmaps/w1')).body;
    w1.data = { k: 'v' };
    await call('PUT', '/api/v1/namespaces/default/configmaps/w1', w1);
    await call('PUT', '/api/v1/namespaces/default/configmaps/other', {
      ...cm('other', { x: 'y' }, { app: 'b' }),
    });
    await call('DELETE', '/api/v1/namespaces/default/configmaps/w1');
    const { events } = await done;
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'w1'],
      ['MODIFIED', 'w1'],
      ['DELETED', 'w1'],
    ]);
    expect(events[1]?.object.data).toEqual({ k: 'v' });
  });

  it('replays changes after a resourceVersion and sends bookmarks when allowed', async () => {
    const created = (await call('POST', '/api/v1/namespaces/default/configmaps', cm('w2'))).body;
    const rv = created.metadata.resourceVersion;
    await call('DELETE', '/api/v1/namespaces/default/configmaps/w2');
    const { events } = await watchEvents(
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`,
      (e) => e.some((x) => x.type === 'BOOKMARK'),
    );
    expect(events[0]).toMatchObject({ type: 'DELETED', object: { metadata: { name: 'w2' } } });
    expect(events.at(-1)).toMatchObject({ type: 'BOOKMARK', object: { kind: 'ConfigMap' } });
  });

  it('sends its headers before any event, so an idle watch is seen open', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/api/v1/namespaces/kube-public/secrets?watch=true`, (res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
  });

  it('ends after timeoutSeconds', async () => {
    const { events } = await watchEvents(
      '/api/v1/namespaces/kube-public/configmaps?watch=true&timeoutSeconds=1',
      () => false,
    );
    expect(events).toEqual([]);
  });

  it('answers an ERROR event with a 410 Expired Status for a compacted resourceVersion', async () => {
    const a = (await call('POST', '/api/v1/namespaces/default/configmaps', cm('w3'))).body;
    await call('DELETE', '/api/v1/namespaces/default/configmaps/w3');
    await store.compact(await store.currentRevision());
    const old = Number(a.metadata.resourceVersion) - 1;
    const { events } = await watchEvents(
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${old}`,
      (e) => e.length > 0,
    );
    expect(events[0]).toMatchObject({
      type: 'ERROR',
      object: { kind: 'Status', code: 410, reason: 'Expired' },
    });
  });
});

describe('patch', () => {
  const path = '/api/v1/namespaces/default/configmaps/p1';
  it('applies merge, JSON and strategic merge patches, and refuses an unknown type with 415', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', cm('p1', { a: '1', b: '2' }));
    const merged = await call(
      'PATCH',
      path,
      { data: { a: null, c: '3' } },
      'application/merge-patch+json',
    );
    expect(merged.status).toBe(200);
    expect(merged.body.data).toEqual({ b: '2', c: '3' });
    const json = await call(
      'PATCH',
      path,
      [{ op: 'replace', path: '/data/b', value: '9' }],
      'application/json-patch+json',
    );
    expect(json.body.data).toEqual({ b: '9', c: '3' });
    const smp = await call(
      'PATCH',
      path,
      { metadata: { labels: { x: 'y' } } },
      'application/strategic-merge-patch+json',
    );
    expect(smp.body.metadata.labels).toEqual({ x: 'y' });
    const before = (await call('GET', path)).body.metadata.resourceVersion;
    const bad = await call('PATCH', path, '{}', 'text/plain');
    expect(bad.status).toBe(415);
    expect(bad.body).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType' });
    const stale = await call(
      'PATCH',
      path,
      { metadata: { resourceVersion: '1' }, data: { z: '1' } },
      'application/merge-patch+json',
    );
    expect(stale.status).toBe(409);
    expect((await call('GET', path)).body.metadata.resourceVersion).toBe(before);
  });

  it('server-side apply creates a missing object with 201 and updates it with 200', async () => {
    const url = '/api/v1/namespaces/default/configmaps/ssa?fieldManager=test';
    const created = await call('PATCH', url, cm('ssa', { k: '1' }), 'application/apply-patch+yaml');
    expect(created.status).toBe(201);
    const updated = await call(
      'PATCH',
      url,
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  k: "2"\n',
      'application/apply-patch+yaml',
    );
    expect(updated.status).toBe(200);
    expect(updated.body.data).toEqual({ k: '2' });
  });

  it('patches the scale subresource with a merge patch', async () => {
    await call('POST', '/apis/apps/v1/namespaces/default/replicasets', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'rs' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { a: 'b' } },
        template: {
          metadata: { labels: { a: 'b' } },
          spec: { containers: [{ name: 'c', image: 'i' }] },
        },
      },
    });
    const r = await call(
      'PATCH',
      '/apis/apps/v1/namespaces/default/replicasets/rs/scale',
      { spec: { replicas: 4 } },
      'application/merge-patch+json',
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ kind: 'Scale', spec: { replicas: 4 } });
    expect(
      (await call('GET', '/apis/apps/v1/namespaces/default/replicasets/rs')).body.spec.replicas,
    ).toBe(4);
  });
});

describe('managedFields', () => {
  it('records the creating field manager, and server-side apply then conflicts on its fields', async () => {
    const created = await call(
      'POST',
      '/api/v1/namespaces/default/configmaps?fieldManager=kubectl-create',
      cm('owned', { k: '1' }),
    );
    expect(created.body.metadata.managedFields).toMatchObject([
      { manager: 'kubectl-create', operation: 'Update' },
    ]);
    const url = '/api/v1/namespaces/default/configmaps/owned?fieldManager=other';
    const conflict = await call(
      'PATCH',
      url,
      cm('owned', { k: '2' }),
      'application/apply-patch+yaml',
    );
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ kind: 'Status', reason: 'Conflict' });
    const forced = await call(
      'PATCH',
      `${url}&force=true`,
      cm('owned', { k: '2' }),
      'application/apply-patch+yaml',
    );
    expect(forced.status).toBe(200);
    expect(forced.body.data).toEqual({ k: '2' });
  });
});
