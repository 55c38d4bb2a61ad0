import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinKindRegistry } from '../../sdk/api/builtin-kinds.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { type ApiServer, createApiServer } from './app.ts';
import { ensureNodeSecret, nodeCredential, verifyNodeCredential } from './node-auth.ts';
import { requestAttributes } from './node-authz.ts';

let dir: string;
let store: Store;
let server: ApiServer;
let secret: Buffer;
const admin = 'admin-token';
const joinToken = 'join-token';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-node-auth-'));
  store = openStore(`sqlite:${join(dir, 'state.db')}`);
  secret = ensureNodeSecret(dir);
  server = await createApiServer({
    store,
    kinds: builtinKindRegistry(),
    token: admin,
    nodes: { joinToken, secret },
  });
});

afterAll(async () => {
  await server.app.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

type Reply = { statusCode: number; json: () => any };
const call = (
  token: string,
  method: string,
  url: string,
  payload?: unknown,
  contentType = 'application/json',
) =>
  server.app.inject({
    method: method as 'GET',
    url,
    headers: {
      authorization: `Bearer ${token}`,
      ...(payload === undefined ? {} : { 'content-type': contentType }),
    },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  }) as unknown as Promise<Reply>;
const merge = 'application/merge-patch+json';

async function join_(nodeName: string): Promise<string> {
  const r = await call(joinToken, 'POST', '/skiff/v1/nodes/join', { nodeName });
  expect(r.statusCode).toBe(201);
  return r.json().token;
}

const node = (name: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } });
const lease = (name: string) => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name, namespace: 'kube-node-lease' },
  spec: { holderIdentity: name },
});
const pod = (name: string, nodeName: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] },
});

describe('joining', () => {
  it('refuses a wrong join token with 401 and a missing one too', async () => {
    const r = await call('not-the-token', 'POST', '/skiff/v1/nodes/join', { nodeName: 'a' });
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    const none = await server.app.inject({ method: 'POST', url: '/skiff/v1/nodes/join' });
    expect(none.statusCode).toBe(401);
  });

  it.each([
    ['no body', undefined],
    ['no name', {}],
    ['a bad name', { nodeName: 'Not_A_Name' }],
  ])('refuses a join with %s (400)', async (_what, body) => {
    const r = await call(joinToken, 'POST', '/skiff/v1/nodes/join', body);
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
  });

  it('gives a credential bound to the name, which verifies as that node only', async () => {
    const r = await call(joinToken, 'POST', '/skiff/v1/nodes/join', { nodeName: 'a' });
    expect(r.statusCode).toBe(201);
    const body = r.json();
    expect(body).toMatchObject({
      kind: 'NodeCredential',
      nodeName: 'a',
      user: 'system:node:a',
    });
    expect(body.token).toBe(nodeCredential(secret, 'a'));
    expect(verifyNodeCredential(secret, body.token)).toBe('a');
    // The name cannot be changed without the secret.
    const forged = body.token.replace('skiff-node.a.', 'skiff-node.b.');
    expect(verifyNodeCredential(secret, forged)).toBeUndefined();
    expect((await call(forged, 'GET', '/api/v1/nodes')).statusCode).toBe(401);
  });

  it('lets the join token do nothing else (403 in Kubernetes form)', async () => {
    const r = await call(joinToken, 'GET', '/api/v1/namespaces/default/pods');
    expect(r.statusCode).toBe(403);
    expect(r.json()).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
      details: { kind: 'pods' },
    });
    expect(r.json().message).toMatch(
      /^pods is forbidden: User "system:bootstrap:node-join" cannot list resource "pods" in API group "" in the namespace "default"/,
    );
    const disco = await call(joinToken, 'GET', '/api');
    expect(disco.statusCode).toBe(403);
    expect(disco.json().message).toMatch(
      /^forbidden: User "system:bootstrap:node-join" cannot get path "\/api"/,
    );
  });

  it('keeps the admin token good for everything, joining included', async () => {
    expect((await call(admin, 'GET', '/api/v1/namespaces/default/pods')).statusCode).toBe(200);
    const r = await call(admin, 'POST', '/skiff/v1/nodes/join', { nodeName: 'by-admin' });
    expect(r.statusCode).toBe(201);
  });
});

describe('a node credential', () => {
  let a: string;
  let b: string;

  beforeAll(async () => {
    a = await join_('node-a');
    b = await join_('node-b');
    expect((await call(b, 'POST', '/api/v1/nodes', node('node-b'))).statusCode).toBe(201);
  });

  it('registers and updates its own Node and its status', async () => {
    expect((await call(a, 'POST', '/api/v1/nodes', node('node-a'))).statusCode).toBe(201);
    const patched = await call(
      a,
      'PATCH',
      '/api/v1/nodes/node-a',
      { metadata: { labels: { x: 'y' } } },
      merge,
    );
    expect(patched.statusCode).toBe(200);
    const status = await call(
      a,
      'PATCH',
      '/api/v1/nodes/node-a/status',
      { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      merge,
    );
    expect(status.statusCode).toBe(200);
  });

  it('may not change its own taints or restricted labels (NodeRestriction)', async () => {
    const c = await join_('node-r');
    const created = await call(c, 'POST', '/api/v1/nodes', {
      ...node('node-r'),
      metadata: { name: 'node-r', labels: { 'node-role.kubernetes.io/worker': '' } },
    });
    expect(created.statusCode).toBe(403);
    expect(created.json().message).toBe(
      'nodes "node-r" is forbidden: node "node-r" is not allowed to set the following labels: node-role.kubernetes.io/worker',
    );
    const taint = { key: 'k', value: 'v', effect: 'NoSchedule' };
    const ok = await call(c, 'POST', '/api/v1/nodes', {
      ...node('node-r'),
      metadata: { name: 'node-r', labels: { 'kubernetes.io/hostname': 'node-r' } },
      spec: { taints: [taint] },
    });
    expect(ok.statusCode).toBe(201);
    const retaint = await call(c, 'PATCH', '/api/v1/nodes/node-r', { spec: { taints: [] } }, merge);
    expect(retaint.statusCode).toBe(403);
    expect(retaint.json()).toMatchObject({
      reason: 'Forbidden',
      message: 'nodes "node-r" is forbidden: node "node-r" is not allowed to modify taints',
    });
    const admin_ = await call(
      admin,
      'PATCH',
      '/api/v1/nodes/node-r',
      { metadata: { labels: { 'node-restriction.kubernetes.io/pool': 'a' } } },
      merge,
    );
    expect(admin_.statusCode).toBe(200);
    const current = (await call(c, 'GET', '/api/v1/nodes/node-r')).json();
    const { 'node-restriction.kubernetes.io/pool': _pool, ...others } = current.metadata.labels;
    const put = await call(c, 'PUT', '/api/v1/nodes/node-r', {
      ...current,
      metadata: { ...current.metadata, labels: others },
    });
    expect(put.statusCode).toBe(403);
    expect(put.json().message).toBe(
      'nodes "node-r" is forbidden: node "node-r" is not allowed to modify labels: node-restriction.kubernetes.io/pool',
    );
    const applied = await call(
      c,
      'PATCH',
      '/api/v1/nodes/node-r?fieldManager=kubelet&force=true',
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-r' }, spec: { taints: [] } },
      'application/apply-patch+yaml',
    );
    expect(applied.statusCode).toBe(403);
    const fine = await call(
      c,
      'PATCH',
      '/api/v1/nodes/node-r',
      { metadata: { labels: { x: '1' } } },
      merge,
    );
    expect(fine.statusCode).toBe(200);
    const after = (await call(admin, 'GET', '/api/v1/nodes/node-r')).json();
    expect(after.spec.taints).toEqual([taint]);
    expect(after.metadata.labels).toMatchObject({
      'node-restriction.kubernetes.io/pool': 'a',
      x: '1',
    });
  });

  it('cannot create, patch or delete another node', async () => {
    const patched = await call(
      a,
      'PATCH',
      '/api/v1/nodes/node-b',
      { metadata: { labels: { x: 'y' } } },
      merge,
    );
    expect(patched.statusCode).toBe(403);
    expect(patched.json()).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
      details: { name: 'node-b', kind: 'nodes' },
    });
    expect(patched.json().message).toBe(
      'nodes "node-b" is forbidden: User "system:node:node-a" cannot patch resource "nodes" in API group "" at the cluster scope: node "node-a" may only modify its own Node',
    );
    const status = await call(a, 'PATCH', '/api/v1/nodes/node-b/status', { status: {} }, merge);
    expect(status.statusCode).toBe(403);
    expect(status.json().message).toContain('cannot patch resource "nodes/status"');
    const created = await call(a, 'POST', '/api/v1/nodes', node('node-c'));
    expect(created.statusCode).toBe(403);
    expect(created.json().message).toMatch(
      /^nodes "node-c" is forbidden: User "system:node:node-a" cannot create/,
    );
    expect((await call(a, 'DELETE', '/api/v1/nodes/node-b')).statusCode).toBe(403);
    // Nothing changed.
    const still = await call(admin, 'GET', '/api/v1/nodes/node-b');
    expect(still.json().metadata.labels?.x).toBeUndefined();
    expect((await call(admin, 'GET', '/api/v1/nodes/node-c')).statusCode).toBe(404);
  });

  it('writes its own Lease in kube-node-lease and no other', async () => {
    expect(
      (
        await call(
          a,
          'POST',
          '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases',
          lease('node-a'),
        )
      ).statusCode,
    ).toBe(201);
    const renew = await call(
      a,
      'PATCH',
      '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-a',
      { spec: { renewTime: new Date().toISOString().replace('Z', '000Z') } },
      merge,
    );
    expect(renew.statusCode).toBe(200);
    const other = await call(
      a,
      'POST',
      '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases',
      lease('node-b'),
    );
    expect(other.statusCode).toBe(403);
    expect(other.json().message).toBe(
      'leases.coordination.k8s.io "node-b" is forbidden: User "system:node:node-a" cannot create resource "leases" in API group "coordination.k8s.io" in the namespace "kube-node-lease": node "node-a" may only modify its own Lease in kube-node-lease',
    );
  });

  it('changes status of and deletes only pods bound to it', async () => {
    for (const [name, nodeName] of [
      ['on-a', 'node-a'],
      ['on-b', 'node-b'],
      ['on-a-2', 'node-a'],
    ] as const)
      expect(
        (await call(admin, 'POST', '/api/v1/namespaces/default/pods', pod(name, nodeName)))
          .statusCode,
      ).toBe(201);
    const running = { status: { phase: 'Running' } };
    expect(
      (await call(a, 'PATCH', '/api/v1/namespaces/default/pods/on-a/status', running, merge))
        .statusCode,
    ).toBe(200);
    const other = await call(
      a,
      'PATCH',
      '/api/v1/namespaces/default/pods/on-b/status',
      running,
      merge,
    );
    expect(other.statusCode).toBe(403);
    expect(other.json().message).toBe(
      'pods "on-b" is forbidden: User "system:node:node-a" cannot patch resource "pods/status" in API group "" in the namespace "default": node "node-a" may only change pods bound to it',
    );
    expect((await call(a, 'DELETE', '/api/v1/namespaces/default/pods/on-b')).statusCode).toBe(403);
    expect((await call(a, 'DELETE', '/api/v1/namespaces/default/pods/on-a-2')).statusCode).toBe(
      200,
    );
    // Its spec is not its business, nor making pods.
    expect(
      (
        await call(
          a,
          'PATCH',
          '/api/v1/namespaces/default/pods/on-a',
          { metadata: { labels: { x: 'y' } } },
          merge,
        )
      ).statusCode,
    ).toBe(403);
    expect(
      (await call(a, 'POST', '/api/v1/namespaces/default/pods', pod('made-by-a', 'node-a')))
        .statusCode,
    ).toBe(403);
    const onB = await call(admin, 'GET', '/api/v1/namespaces/default/pods/on-b');
    expect(onB.json().status?.phase).not.toBe('Running');
  });

  it('reads what a node needs, records events, and nothing more', async () => {
    for (const url of [
      '/api/v1/pods',
      '/api/v1/namespaces/default/services',
      '/api/v1/namespaces/default/configmaps',
      '/api/v1/namespaces/default/secrets',
      '/api/v1/nodes',
      '/apis/node.k8s.io/v1/runtimeclasses',
      '/api',
      '/apis',
    ])
      expect((await call(a, 'GET', url)).statusCode, url).toBe(200);
    const deployments = await call(a, 'GET', '/apis/apps/v1/namespaces/default/deployments');
    expect(deployments.statusCode).toBe(403);
    expect(deployments.json().message).toBe(
      'deployments.apps is forbidden: User "system:node:node-a" cannot list resource "deployments" in API group "apps" in the namespace "default"',
    );
    const event = await call(a, 'POST', '/api/v1/namespaces/default/events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'ev-1' },
      involvedObject: { kind: 'Node', name: 'node-a' },
      reason: 'Starting',
      message: 'hello',
      type: 'Normal',
    });
    expect(event.statusCode).toBe(201);
    expect((await call(a, 'POST', '/skiff/v1/nodes/join', { nodeName: 'node-z' })).statusCode).toBe(
      403,
    );
  });
});

describe('requestAttributes', () => {
  it.each([
    ['GET', '/api/v1/pods', 'list', { group: '', plural: 'pods' }],
    ['GET', '/api/v1/pods?watch=true', 'watch', { group: '', plural: 'pods' }],
    [
      'GET',
      '/api/v1/namespaces/ns/pods/p/log',
      'get',
      { group: '', plural: 'pods', namespace: 'ns', name: 'p', subresource: 'log' },
    ],
    [
      'PATCH',
      '/api/v1/nodes/n/status',
      'patch',
      { group: '', plural: 'nodes', name: 'n', subresource: 'status' },
    ],
    [
      'DELETE',
      '/apis/apps/v1/namespaces/ns/deployments',
      'deletecollection',
      { group: 'apps', plural: 'deployments', namespace: 'ns' },
    ],
    [
      'PUT',
      '/api/v1/namespaces/ns/finalize',
      'update',
      { group: '', plural: 'namespaces', namespace: 'ns', name: 'ns', subresource: 'finalize' },
    ],
    [
      'GET',
      '/api/v1/namespaces/ns',
      'get',
      { group: '', plural: 'namespaces', namespace: 'ns', name: 'ns' },
    ],
  ])('%s %s is %s', (method, url, verb, resource) => {
    const attrs = requestAttributes(method, url);
    expect(attrs.verb).toBe(verb);
    expect(attrs.resource).toEqual(resource);
  });

  it('leaves discovery paths without a resource', () => {
    expect(requestAttributes('GET', '/apis/apps').resource).toBeUndefined();
    expect(requestAttributes('GET', '/openapi/v2').resource).toBeUndefined();
  });
});
