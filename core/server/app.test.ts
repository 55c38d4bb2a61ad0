import { mkdtempSync, rmSync } from 'node:fs';
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

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-apiserver-'));
  store = openStore(`sqlite:${join(dir, 'state.db')}`);
  server = await createApiServer({ store, kinds: builtinKindRegistry(), token: 'secret-token' });
});

afterAll(async () => {
  await server.app.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = { authorization: 'Bearer secret-token' };
type Reply = { statusCode: number; headers: Record<string, unknown>; json: () => any };
const call = (
  method: string,
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
) =>
  server.app.inject({
    method: method as 'GET',
    url,
    headers: {
      ...auth,
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  }) as unknown as Promise<Reply>;

const pod = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'main', image: 'busybox' }] },
});

async function storedKeys(): Promise<string[]> {
  return (await store.list('/registry/')).items.map((i) => i.key);
}

describe('API server', () => {
  it('reports minor 32 on /version without a token', async () => {
    const r = (await server.app.inject({ method: 'GET', url: '/version' })) as unknown as Reply;
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ major: '1', minor: '32' });
  });

  it('answers 401 with a Status without the bearer token', async () => {
    const r = (await server.app.inject({ method: 'GET', url: '/api/v1/pods' })) as unknown as Reply;
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });

  it('serves aggregated discovery with its content type, shortNames and verbs', async () => {
    const accept =
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
    const r = await call('GET', '/apis', undefined, { accept });
    expect(r.headers['content-type']).toMatch(
      /^application\/json;g=apidiscovery\.k8s\.io;v=v2;as=APIGroupDiscoveryList/,
    );
    const apps = r.json().items.find((g: any) => g.metadata.name === 'apps');
    const deploy = apps.versions[0].resources.find((x: any) => x.resource === 'deployments');
    expect(deploy).toMatchObject({ shortNames: ['deploy'], scope: 'Namespaced' });
    expect(deploy.verbs).toContain('watch');
    const core = (await call('GET', '/api', undefined, { accept })).json();
    expect(core.items[0].metadata.name).toBe('');
    expect(core.items[0].versions[0].resources.map((x: any) => x.resource)).toContain('pods');
  });

  it('bootstraps the system namespaces', async () => {
    const names = (await call('GET', '/api/v1/namespaces'))
      .json()
      .items.map((n: any) => n.metadata.name);
    expect(names).toEqual(
      expect.arrayContaining(['default', 'kube-system', 'kube-public', 'kube-node-lease']),
    );
  });

  it('creates with uid, timestamp, resourceVersion and refuses a duplicate with 409', async () => {
    const r = await call('POST', '/api/v1/namespaces/default/pods', pod('a'));
    expect(r.statusCode).toBe(201);
    const body = r.json();
    expect(body).toMatchObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'a', namespace: 'default' },
    });
    expect(body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.metadata.resourceVersion).toMatch(/^\d+$/);
    const again = await call('POST', '/api/v1/namespaces/default/pods', pod('a'));
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({
      reason: 'AlreadyExists',
      message: 'pods "a" already exists',
    });
  });

  it('generates a name from generateName', async () => {
    const p = pod('');
    (p.metadata as any).name = undefined;
    (p.metadata as any).generateName = 'gen-';
    const r = await call('POST', '/api/v1/namespaces/default/pods', p);
    expect(r.statusCode).toBe(201);
    expect(r.json().metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  it('refuses bad input with the right Status and stores nothing', async () => {
    const before = await storedKeys();
    const cases: [string, string, unknown, number, string][] = [
      [
        'unknown field (Strict)',
        '/api/v1/namespaces/default/pods?fieldValidation=Strict',
        { ...pod('u'), spec: { containers: [{ name: 'm', image: 'x', bogus: 1 }] } },
        400,
        'BadRequest',
      ],
      ['invalid name', '/api/v1/namespaces/default/pods', pod('Bad_Name'), 422, 'Invalid'],
      ['missing namespace', '/api/v1/namespaces/nowhere/pods', pod('n'), 404, 'NotFound'],
      [
        'wrong kind',
        '/api/v1/namespaces/default/pods',
        { ...pod('k'), kind: 'Service' },
        400,
        'BadRequest',
      ],
    ];
    for (const [what, url, body, code, reason] of cases) {
      const r = await call('POST', url, body);
      expect(r.statusCode, what).toBe(code);
      expect(r.json(), what).toMatchObject({ kind: 'Status', reason, code });
    }
    const strict = await call('POST', '/api/v1/namespaces/default/pods?fieldValidation=Strict', {
      ...pod('u'),
      spec: { containers: [{ name: 'm', image: 'x', bogus: 1 }] },
    });
    expect(strict.json().message).toContain('unknown field "spec.containers[0].bogus"');
    const bad = await server.app.inject({
      method: 'POST',
      url: '/api/v1/namespaces/default/pods',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{nope',
    });
    expect(bad.statusCode).toBe(400);
    const big = await server.app.inject({
      method: 'POST',
      url: '/api/v1/namespaces/default/configmaps',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ data: { x: 'y'.repeat(4 * 1024 * 1024) } }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ reason: 'RequestEntityTooLarge' });
    const media = await server.app.inject({
      method: 'POST',
      url: '/api/v1/namespaces/default/pods',
      headers: { ...auth, 'content-type': 'text/plain' },
      payload: 'x',
    });
    expect(media.statusCode).toBe(415);
    expect(await storedKeys()).toEqual(before);
  });

  it('warns about unknown fields under Warn and drops them', async () => {
    const r = await call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Warn', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'w' },
      extra: true,
    });
    expect(r.statusCode).toBe(201);
    expect(String(r.headers.warning)).toContain('unknown field \\"extra\\"');
    expect(r.json().extra).toBeUndefined();
  });

  it('updates with 409 on a stale resourceVersion and bumps generation on spec changes only', async () => {
    const created = (
      await call('POST', '/apis/apps/v1/namespaces/default/deployments', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'nginx' }] },
          },
        },
      })
    ).json();
    expect(created.metadata.generation).toBe(1);
    const changed = structuredClone(created);
    changed.spec.replicas = 3;
    const u = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web', changed);
    expect(u.statusCode).toBe(200);
    expect(u.json().metadata.generation).toBe(2);
    const stale = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web', changed);
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ reason: 'Conflict' });
    const st = u.json();
    st.status = { replicas: 3, observedGeneration: 2 };
    const s = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web/status', st);
    expect(s.statusCode).toBe(200);
    expect(s.json().metadata.generation).toBe(2);
    expect(s.json().status.replicas).toBe(3);
    const scale = (
      await call('GET', '/apis/apps/v1/namespaces/default/deployments/web/scale')
    ).json();
    expect(scale).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 3 },
      status: { replicas: 3, selector: 'app=web' },
    });
    scale.spec.replicas = 5;
    const put = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web/scale', scale);
    expect(put.json().spec.replicas).toBe(5);
    const after = (await call('GET', '/apis/apps/v1/namespaces/default/deployments/web')).json();
    expect(after.spec.replicas).toBe(5);
    expect(after.metadata.generation).toBe(3);
  });

  it('lists with label and field selectors and pages with limit/continue', async () => {
    for (const n of ['l1', 'l2', 'l3'])
      await call(
        'POST',
        '/api/v1/namespaces/default/pods',
        pod(n, { tier: n === 'l3' ? 'db' : 'web' }),
      );
    const web = (
      await call('GET', '/api/v1/namespaces/default/pods?labelSelector=tier%3Dweb')
    ).json();
    expect(web.kind).toBe('PodList');
    expect(web.items.map((p: any) => p.metadata.name)).toEqual(['l1', 'l2']);
    const byName = (await call('GET', '/api/v1/pods?fieldSelector=metadata.name%3Dl3')).json();
    expect(byName.items.map((p: any) => p.metadata.name)).toEqual(['l3']);
    const bad = await call('GET', '/api/v1/pods?fieldSelector=spec.bogus%3Dx');
    expect(bad.statusCode).toBe(400);
    const page1 = (await call('GET', '/api/v1/namespaces/default/pods?limit=2')).json();
    expect(page1.items).toHaveLength(2);
    expect(page1.metadata.continue).toBeTruthy();
    const page2 = (
      await call(
        'GET',
        `/api/v1/namespaces/default/pods?limit=2&continue=${encodeURIComponent(page1.metadata.continue)}`,
      )
    ).json();
    expect(page2.items[0].metadata.name).not.toBe(page1.items[0].metadata.name);
  });

  it('answers Table when asked and 404 Status for a missing object', async () => {
    const t = (
      await call('GET', '/api/v1/namespaces/default/pods', undefined, {
        accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
      })
    ).json();
    expect(t.kind).toBe('Table');
    expect(t.rows.length).toBeGreaterThan(0);
    expect(t.rows[0].object.kind).toBe('PartialObjectMetadata');
    const r = await call('GET', '/api/v1/namespaces/default/pods/missing');
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({
      reason: 'NotFound',
      message: 'pods "missing" not found',
      details: { name: 'missing', kind: 'pods' },
    });
  });

  it('deletes at once, or marks deletion while finalizers remain', async () => {
    const d = await call('DELETE', '/api/v1/namespaces/default/pods/l1', {
      propagationPolicy: 'Background',
    });
    expect(d.statusCode).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/default/pods/l1')).statusCode).toBe(404);
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'fin', finalizers: ['example.com/hold'] },
    };
    await call('POST', '/api/v1/namespaces/default/configmaps', cm);
    const marked = (await call('DELETE', '/api/v1/namespaces/default/configmaps/fin')).json();
    expect(marked.metadata.deletionTimestamp).toBeTruthy();
    marked.metadata.finalizers = [];
    expect(
      (await call('PUT', '/api/v1/namespaces/default/configmaps/fin', marked)).statusCode,
    ).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/fin')).statusCode).toBe(404);
    expect((await call('DELETE', '/api/v1/namespaces/default')).statusCode).toBe(403);
  });

  it('binds a pod once and refuses log with a 503 Status', async () => {
    const b = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'l2' },
      target: { kind: 'Node', name: 'n1' },
    };
    expect((await call('POST', '/api/v1/namespaces/default/pods/l2/binding', b)).statusCode).toBe(
      201,
    );
    expect((await call('GET', '/api/v1/namespaces/default/pods/l2')).json().spec.nodeName).toBe(
      'n1',
    );
    expect((await call('POST', '/api/v1/namespaces/default/pods/l2/binding', b)).statusCode).toBe(
      409,
    );
    // The log comes from the pod's node, and there is no Node n1.
    const log = await call('GET', '/api/v1/namespaces/default/pods/l2/log');
    expect(log.statusCode).toBe(404);
    expect(log.json()).toMatchObject({ reason: 'NotFound', message: 'nodes "n1" not found' });
  });

  it('binds as Kubernetes does: PodScheduled, annotations, preconditions, gates, deletion', async () => {
    const bind = (name: string, meta: Record<string, unknown> = {}) =>
      call('POST', `/api/v1/namespaces/default/pods/${name}/binding`, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name, ...meta },
        target: { kind: 'Node', name: 'n2' },
      });
    const created = (await call('POST', '/api/v1/namespaces/default/pods', pod('b1'))).json();
    const stale = await bind('b1', { uid: 'not-its-uid' });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().message).toContain('Precondition failed: UID in precondition');
    const ok = await bind('b1', {
      uid: created.metadata.uid,
      resourceVersion: created.metadata.resourceVersion,
      annotations: { 'example.com/placed-by': 'test' },
    });
    expect(ok.statusCode).toBe(201);
    const bound = (await call('GET', '/api/v1/namespaces/default/pods/b1')).json();
    expect(bound.spec.nodeName).toBe('n2');
    expect(bound.metadata.annotations).toEqual({ 'example.com/placed-by': 'test' });
    expect(bound.status.phase).toBe('Pending');
    expect(bound.status.conditions).toMatchObject([{ type: 'PodScheduled', status: 'True' }]);
    expect(Number(bound.metadata.resourceVersion)).toBeGreaterThan(
      Number(created.metadata.resourceVersion),
    );
    const gated = pod('b2') as ReturnType<typeof pod> & { spec: { schedulingGates?: unknown } };
    gated.spec.schedulingGates = [{ name: 'example.com/wait' }];
    await call('POST', '/api/v1/namespaces/default/pods', gated);
    const refused = await bind('b2');
    expect(refused.statusCode).toBe(409);
    expect(refused.json().message).toContain('has non-empty .spec.schedulingGates');
    const held = { ...pod('b3'), metadata: { name: 'b3', finalizers: ['example.com/hold'] } };
    await call('POST', '/api/v1/namespaces/default/pods', held);
    await call('DELETE', '/api/v1/namespaces/default/pods/b3');
    const deleting = await bind('b3');
    expect(deleting.statusCode).toBe(409);
    expect(deleting.json().message).toContain('is being deleted, cannot be assigned to a host');
    expect((await bind('missing')).statusCode).toBe(404);
    const noTarget = await call('POST', '/api/v1/namespaces/default/pods/b2/binding', {
      kind: 'Binding',
      metadata: { name: 'b2' },
    });
    expect(noTarget.statusCode).toBe(422);
    const unchanged = (await call('GET', '/api/v1/namespaces/default/pods/b2')).json();
    expect(unchanged.spec.nodeName).toBeUndefined();
  });

  it('serves OpenAPI v3 with the fieldValidation patch parameter and real schemas', async () => {
    const root = (await call('GET', '/openapi/v3')).json();
    const url = root.paths['apis/apps/v1'].serverRelativeURL;
    const doc = (await call('GET', url)).json();
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    expect(patch.parameters).toContainEqual(
      expect.objectContaining({ name: 'fieldValidation', in: 'query' }),
    );
    expect(patch['x-kubernetes-group-version-kind']).toEqual({
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
    });
    const schemas = doc.components.schemas;
    // A field refers to a named type directly, or through allOf when it describes it itself.
    const refOf = (schema: any): string | undefined => schema.$ref ?? schema.allOf?.[0]?.$ref;
    const follow = (schema: any): any => {
      const ref = refOf(schema);
      return ref === undefined ? schema : schemas[ref.replace('#/components/schemas/', '')];
    };
    const deploy = schemas['io.k8s.api.apps.v1.Deployment'];
    expect(deploy['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ]);
    expect(refOf(deploy.properties.spec)).toMatch(/\.DeploymentSpec$/);
    expect(deploy.properties.spec.description).toMatch(/desired state of the Deployment/);
    const templateRef = follow(deploy.properties.spec).properties.template;
    expect(refOf(templateRef)).toBe('#/components/schemas/io.k8s.api.core.v1.PodTemplateSpec');
    expect(templateRef.description).toMatch(/^The pod every replica is made from/);
    const template = follow(templateRef);
    expect(follow(template.properties.metadata).properties.labels.type).toBe('object');
    const containers = follow(template.properties.spec).properties.containers;
    expect(follow(containers.items).properties.image).toEqual({ type: 'string' });
    expect(containers['x-kubernetes-patch-merge-key']).toBe('name');
  });
});

describe('metrics', () => {
  it('counts requests by verb, resource and code in Prometheus text format', async () => {
    await call('GET', '/api/v1/namespaces/default/pods/missing');
    const r = (await call('GET', '/metrics')) as unknown as Reply & { body: string };
    expect(r.statusCode).toBe(200);
    expect(String(r.headers['content-type'])).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.body).toMatch(
      /^apiserver_request_total\{verb="GET",group="",version="v1",resource="pods",subresource="",code="404"\} [1-9]\d*$/m,
    );
    expect(r.body).toMatch(
      /^apiserver_request_total\{verb="CREATE",group="apps",version="v1",resource="deployments",subresource="",code="201"\} \d+$/m,
    );
    expect(r.body).toContain('# TYPE apiserver_request_duration_seconds histogram');
  });
});
