import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinKindRegistry } from '../../sdk/api/builtin-kinds.ts';
import { isSkiffError } from '../../sdk/errors.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { type ApiServer, createApiServer } from './app.ts';
import { finalizersForDelete, propagationOf } from './deletion.ts';

describe('propagationOf', () => {
  it.each([
    [{}, undefined],
    [{ propagationPolicy: 'Orphan' }, 'Orphan'],
    [{ propagationPolicy: 'Foreground' }, 'Foreground'],
    [{ propagationPolicy: 'Background' }, 'Background'],
    [{ orphanDependents: true }, 'Orphan'],
    [{ orphanDependents: 'true' }, 'Orphan'],
    [{ orphanDependents: false }, 'Background'],
  ])('%j reads as %s', (opts, want) => {
    expect(propagationOf(opts)).toBe(want);
  });

  it.each([
    [{ propagationPolicy: 'Sideways' }, 'propagationPolicy must be one of'],
    [{ orphanDependents: 'maybe' }, 'orphanDependents must be true or false'],
    [{ orphanDependents: true, propagationPolicy: 'Orphan' }, 'cannot both be set'],
  ])('%j is BadRequest', (opts, message) => {
    let caught: unknown;
    try {
      propagationOf(opts);
    } catch (err) {
      caught = err;
    }
    expect(isSkiffError(caught, 'BadRequest')).toBe(true);
    expect((caught as Error).message).toContain(message);
  });
});

describe('finalizersForDelete', () => {
  it.each([
    [[], undefined, []],
    [['a'], undefined, ['a']],
    [['orphan'], undefined, ['orphan']],
    [[], 'Orphan', ['orphan']],
    [['a'], 'Foreground', ['a', 'foregroundDeletion']],
    [['orphan'], 'Foreground', ['foregroundDeletion']],
    [['foregroundDeletion', 'a'], 'Background', ['a']],
  ] as const)('%j with %s gives %j', (before, policy, want) => {
    expect(finalizersForDelete(before, policy)).toEqual(want);
  });
});

let dir: string;
let store: Store;
let server: ApiServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-apiserver-deletion-'));
  store = openStore(`sqlite:${join(dir, 'state.db')}`);
  server = await createApiServer({ store, kinds: builtinKindRegistry() });
});

afterAll(async () => {
  await server?.app.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field in assertions
type Json = Record<string, any>;
async function call(method: string, url: string, payload?: unknown) {
  const r = await server.app.inject({
    method: method as 'GET',
    url,
    headers: payload === undefined ? {} : { 'content-type': 'application/json' },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });
  return { status: r.statusCode, body: r.json() as Json };
}

const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
const cms = '/api/v1/namespaces/default/configmaps';

describe('DELETE with a propagation policy', () => {
  it.each([
    ['propagationPolicy=Orphan', { propagationPolicy: 'Orphan' }, 'orphan'],
    ['propagationPolicy=Foreground', { propagationPolicy: 'Foreground' }, 'foregroundDeletion'],
    ['orphanDependents=true', { orphanDependents: true }, 'orphan'],
  ])('%s marks the object with its finalizer instead of removing it', async (label, body, fin) => {
    const name = `p-${fin.toLowerCase()}-${label.length}`;
    await call('POST', cms, cm(name));
    const r = await call('DELETE', `${cms}/${name}`, { kind: 'DeleteOptions', ...body });
    expect(r.status).toBe(200);
    expect(r.body.metadata.finalizers).toEqual([fin]);
    expect(r.body.metadata.deletionTimestamp).toBeTruthy();
    const kept = await call('GET', `${cms}/${name}`);
    expect(kept.body.metadata.finalizers).toEqual([fin]);
  });

  it('takes the policy from the query too, and removes the object once the finalizer goes', async () => {
    await call('POST', cms, cm('by-query'));
    const r = await call('DELETE', `${cms}/by-query?propagationPolicy=Foreground`);
    expect(r.body.metadata.finalizers).toEqual(['foregroundDeletion']);
    const object = r.body;
    object.metadata.finalizers = [];
    expect((await call('PUT', `${cms}/by-query`, object)).status).toBe(200);
    expect((await call('GET', `${cms}/by-query`)).status).toBe(404);
  });

  it('a second delete with Background on a marked object drops the collector finalizer and removes it', async () => {
    await call('POST', cms, cm('switch'));
    await call('DELETE', `${cms}/switch`, { propagationPolicy: 'Orphan' });
    const r = await call('DELETE', `${cms}/switch`, { propagationPolicy: 'Background' });
    expect(r.status).toBe(200);
    expect((await call('GET', `${cms}/switch`)).status).toBe(404);
  });

  it('Background removes at once', async () => {
    await call('POST', cms, cm('bg'));
    await call('DELETE', `${cms}/bg`, { propagationPolicy: 'Background' });
    expect((await call('GET', `${cms}/bg`)).status).toBe(404);
  });

  it('refuses an unknown policy with 400 and keeps the object', async () => {
    await call('POST', cms, cm('bad-policy'));
    const r = await call('DELETE', `${cms}/bad-policy?propagationPolicy=Sideways`);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    const kept = await call('GET', `${cms}/bad-policy`);
    expect(kept.status).toBe(200);
    expect(kept.body.metadata.deletionTimestamp).toBeUndefined();
  });

  it('dryRun marks nothing', async () => {
    await call('POST', cms, cm('dry-orphan'));
    const r = await call('DELETE', `${cms}/dry-orphan?dryRun=All&propagationPolicy=Orphan`);
    expect(r.status).toBe(200);
    const kept = await call('GET', `${cms}/dry-orphan`);
    expect(kept.body.metadata.finalizers).toBeUndefined();
    expect(kept.body.metadata.deletionTimestamp).toBeUndefined();
  });
});

describe('namespace finalization', () => {
  const ns = (name: string, spec?: unknown) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
    ...(spec === undefined ? {} : { spec }),
  });

  it('a new namespace carries the kubernetes finalizer, which a plain update cannot remove', async () => {
    const created = (await call('POST', '/api/v1/namespaces', ns('fin-a'))).body;
    expect(created.spec.finalizers).toEqual(['kubernetes']);
    const other = (
      await call('POST', '/api/v1/namespaces', ns('fin-b', { finalizers: ['x.io/y'] }))
    ).body;
    expect(other.spec.finalizers).toEqual(['x.io/y', 'kubernetes']);
    const put = await call('PUT', '/api/v1/namespaces/fin-a', {
      ...created,
      spec: { finalizers: [] },
    });
    expect(put.status).toBe(200);
    expect(put.body.spec.finalizers).toEqual(['kubernetes']);
  });

  it('DELETE leaves a Terminating namespace with its content; finalize removes the namespace', async () => {
    await call('POST', '/api/v1/namespaces', ns('fin-c'));
    await call('POST', '/api/v1/namespaces/fin-c/configmaps', cm('inside'));
    const marked = await call('DELETE', '/api/v1/namespaces/fin-c');
    expect(marked.body.status.phase).toBe('Terminating');
    expect((await call('GET', '/api/v1/namespaces/fin-c/configmaps/inside')).status).toBe(200);
    const other = await call('PUT', '/api/v1/namespaces/fin-c/finalize', {
      ...marked.body,
      spec: { finalizers: ['x.io/later'] },
    });
    expect(other.status).toBe(200);
    expect(other.body.spec.finalizers).toEqual(['x.io/later']);
    const done = await call('PUT', '/api/v1/namespaces/fin-c/finalize', {
      ...other.body,
      spec: { finalizers: [] },
    });
    expect(done.status).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/fin-c')).status).toBe(404);
  });

  it('finalize is served for namespaces only and by PUT only', async () => {
    expect((await call('PUT', `${cms}/x/finalize`, cm('x'))).status).toBe(404);
    await call('POST', '/api/v1/namespaces', ns('fin-d'));
    const patch = await server.app.inject({
      method: 'PATCH',
      url: '/api/v1/namespaces/fin-d/finalize',
      headers: { 'content-type': 'application/merge-patch+json' },
      payload: '{}',
    });
    expect(patch.statusCode).toBe(405);
    const list = (await call('GET', '/api/v1')).body.resources.map((r: Json) => r.name);
    expect(list).toContain('namespaces/finalize');
  });
});
