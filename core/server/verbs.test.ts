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
  dir = mkdtempSync(join(tmpdir(), 'skiff-apiserver-verbs-'));
  store = openStore(`sqlite:${join(dir, 'state.db')}`);
  server = await createApiServer({ store, kinds: builtinKindRegistry() });
});

afterAll(async () => {
  await server.app.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

type Json = Record<string, any>;
async function call(
  method: string,
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
) {
  const r = await server.app.inject({
    method: method as 'GET',
    url,
    headers: {
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });
  return { status: r.statusCode, headers: r.headers, body: r.json() as Json };
}

const cm = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
});
const pod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'main', image: 'busybox' }] },
});

describe('verbs beyond get/create/update', () => {
  it.each([
    [
      '/apis/apps/v1/namespaces/default/replicasets',
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'saved-rs' },
        spec: {
          selector: { matchLabels: { app: 'a' } },
          template: {
            metadata: { labels: { app: 'a' } },
            spec: { containers: [{ name: 'main', image: 'busybox' }] },
          },
        },
        status: { replicas: 3, readyReplicas: 3 },
      },
    ],
    [
      '/apis/policy/v1/namespaces/default/poddisruptionbudgets',
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'saved-pdb' },
        spec: { minAvailable: 1, selector: { matchLabels: { app: 'a' } } },
        status: {},
      },
    ],
  ])('create drops a status the body carries (%s), as saved manifests do', async (url, body) => {
    const r = await call('POST', url, body);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.status).toBeUndefined();
  });

  it('deletecollection removes what the selector picks and nothing else', async () => {
    for (const [n, t] of [
      ['d1', 'x'],
      ['d2', 'x'],
      ['d3', 'y'],
    ] as const)
      await call('POST', '/api/v1/namespaces/default/configmaps', cm(n, { t }));
    const r = await call('DELETE', '/api/v1/namespaces/default/configmaps?labelSelector=t%3Dx');
    expect(r.status).toBe(200);
    expect(r.body.kind).toBe('ConfigMapList');
    expect(r.body.items.map((i: Json) => i.metadata.name).sort()).toEqual(['d1', 'd2']);
    const left = (await call('GET', '/api/v1/namespaces/default/configmaps')).body.items.map(
      (i: Json) => i.metadata.name,
    );
    expect(left).toContain('d3');
    expect(left).not.toContain('d1');
  });

  it('eviction deletes an unbound pod', async () => {
    await call('POST', '/api/v1/namespaces/default/pods', pod('ev'));
    const r = await call('POST', '/api/v1/namespaces/default/pods/ev/eviction', {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'ev', namespace: 'default' },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ kind: 'Status', status: 'Success' });
    expect((await call('GET', '/api/v1/namespaces/default/pods/ev')).status).toBe(404);
  });

  it('a bound pod is deleted gracefully: deletionTimestamp set, object kept for the node agent', async () => {
    await call('POST', '/api/v1/namespaces/default/pods', pod('bound'));
    await call('POST', '/api/v1/namespaces/default/pods/bound/binding', {
      target: { kind: 'Node', name: 'n1' },
    });
    const r = await call('DELETE', '/api/v1/namespaces/default/pods/bound', {
      gracePeriodSeconds: 5,
    });
    expect(r.body.metadata.deletionGracePeriodSeconds).toBe(5);
    expect(r.body.metadata.deletionTimestamp).toBeTruthy();
    const now = await call('DELETE', '/api/v1/namespaces/default/pods/bound?gracePeriodSeconds=0');
    expect(now.status).toBe(200);
  });

  it('refuses writes into a terminating namespace and removes it once both finalizer lists are empty', async () => {
    await call('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team', finalizers: ['example.com/hold'] },
    });
    await call('POST', '/api/v1/namespaces/team/configmaps', cm('inside'));
    const marked = (await call('DELETE', '/api/v1/namespaces/team')).body;
    expect(marked.status.phase).toBe('Terminating');
    expect(marked.spec.finalizers).toEqual(['kubernetes']);
    const refused = await call('POST', '/api/v1/namespaces/team/configmaps', cm('late'));
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ reason: 'Forbidden' });
    expect(refused.body.message).toContain('because it is being terminated');
    marked.metadata.finalizers = [];
    expect((await call('PUT', '/api/v1/namespaces/team', marked)).status).toBe(200);
    // The content is the namespace controller's to remove; without one the namespace waits.
    const waiting = await call('GET', '/api/v1/namespaces/team');
    expect(waiting.body.status.phase).toBe('Terminating');
    expect((await store.list('/registry/core/configmaps/team/')).items).toHaveLength(1);
    const finalized = await call('PUT', '/api/v1/namespaces/team/finalize', {
      ...waiting.body,
      spec: { finalizers: [] },
    });
    expect(finalized.status).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/team')).status).toBe(404);
  });

  it('refuses an update that changes an immutable field, with 422 and nothing stored', async () => {
    const created = (
      await call('POST', '/api/v1/namespaces/default/configmaps', {
        ...cm('frozen'),
        data: { a: '1' },
        immutable: true,
      })
    ).body;
    const changed = { ...created, data: { a: '2' } };
    const r = await call('PUT', '/api/v1/namespaces/default/configmaps/frozen', changed);
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'Invalid' });
    expect(r.body.details.causes).toContainEqual(expect.objectContaining({ field: 'data' }));
    const now = (await call('GET', '/api/v1/namespaces/default/configmaps/frozen')).body;
    expect(now.data).toEqual({ a: '1' });
    expect(now.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
  });

  it('dryRun=All validates and answers without storing', async () => {
    const r = await call('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', cm('dry'));
    expect(r.status).toBe(201);
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/dry')).status).toBe(404);
  });

  it('serves the deprecated extensions/v1beta1 Ingress with a Warning, stored as networking.k8s.io/v1', async () => {
    const r = await call('POST', '/apis/extensions/v1beta1/namespaces/default/ingresses', {
      apiVersion: 'extensions/v1beta1',
      kind: 'Ingress',
      metadata: { name: 'old' },
      spec: {
        rules: [
          { http: { paths: [{ path: '/', backend: { serviceName: 's', servicePort: 80 } }] } },
        ],
      },
    });
    expect(r.status).toBe(201);
    expect(String(r.headers.warning)).toMatch(/^299 - "extensions\/v1beta1 Ingress is deprecated/);
    expect(r.body.apiVersion).toBe('extensions/v1beta1');
    const v1 = (await call('GET', '/apis/networking.k8s.io/v1/namespaces/default/ingresses/old'))
      .body;
    expect(v1.spec.rules[0].http.paths[0].backend).toEqual({
      service: { name: 's', port: { number: 80 } },
    });
    const stored = await store.get('/registry/networking.k8s.io/ingresses/default/old');
    expect(JSON.parse(Buffer.from(stored?.value ?? []).toString()).apiVersion).toBe(
      'networking.k8s.io/v1',
    );
  });

  it('filters events by involvedObject fields and serves cluster-scoped kinds without a namespace', async () => {
    await call('POST', '/api/v1/namespaces/default/events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e1' },
      involvedObject: { kind: 'Pod', name: 'p', namespace: 'default', uid: 'u1' },
      reason: 'R',
      message: 'm',
      type: 'Normal',
    });
    const hit = await call(
      'GET',
      '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dp,involvedObject.uid%3Du1',
    );
    expect(hit.body.items.map((e: Json) => e.metadata.name)).toEqual(['e1']);
    const miss = await call(
      'GET',
      '/api/v1/namespaces/default/events?fieldSelector=involvedObject.uid%3Dother',
    );
    expect(miss.body.items).toEqual([]);
    const node = await call('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
    });
    expect(node.status).toBe(201);
    expect(node.body.metadata.namespace).toBeUndefined();
    expect((await call('GET', '/api/v1/nodes/n1')).body.metadata.name).toBe('n1');
  });

  it('answers unknown paths and kinds with a 404 Status, and OpenAPI v2 as JSON', async () => {
    for (const url of ['/api/v1/widgets', '/apis/nope/v1/things', '/nothing']) {
      const r = await call('GET', url);
      expect(r.status, url).toBe(404);
      expect(r.body, url).toMatchObject({ kind: 'Status', reason: 'NotFound' });
    }
    const v2 = await call('GET', '/openapi/v2', undefined, { accept: 'application/json' });
    expect(v2.body.swagger).toBe('2.0');
    expect(
      v2.body.definitions['io.k8s.api.core.v1.Pod']['x-kubernetes-group-version-kind'],
    ).toEqual([{ group: '', version: 'v1', kind: 'Pod' }]);
    const proto = await call('GET', '/openapi/v2', undefined, {
      accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf',
    });
    expect(proto.status).toBe(404);
  });
});

describe('served versions of one kind', () => {
  it('writes an autoscaling/v1 HPA and reads it back as autoscaling/v2 from the same storage', async () => {
    const r = await call(
      'POST',
      '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers',
      {
        apiVersion: 'autoscaling/v1',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'web' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          minReplicas: 1,
          maxReplicas: 4,
          targetCPUUtilizationPercentage: 60,
        },
      },
    );
    expect(r.status).toBe(201);
    expect(r.body.apiVersion).toBe('autoscaling/v1');
    const v2 = (
      await call('GET', '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web')
    ).body;
    expect(v2.apiVersion).toBe('autoscaling/v2');
    expect(v2.spec.maxReplicas).toBe(4);
    expect(v2.spec.metrics[0].resource).toMatchObject({
      name: 'cpu',
      target: { type: 'Utilization', averageUtilization: 60 },
    });
    const key = '/registry/autoscaling/horizontalpodautoscalers/default/web';
    expect(JSON.parse(Buffer.from((await store.get(key))?.value ?? []).toString()).apiVersion).toBe(
      'autoscaling/v2',
    );
  });
});

describe('legacy discovery', () => {
  it('answers /api, /apis, /apis/GROUP and group-version resource lists as kubectl falls back to them', async () => {
    const versions = (await call('GET', '/api')).body;
    expect(versions).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = (await call('GET', '/apis')).body;
    expect(groups.kind).toBe('APIGroupList');
    const apps = groups.groups.find((g: Json) => g.name === 'apps');
    expect(apps.preferredVersion).toEqual({ groupVersion: 'apps/v1', version: 'v1' });
    const autoscaling = (await call('GET', '/apis/autoscaling')).body;
    expect(autoscaling.preferredVersion.version).toBe('v2');
    expect(autoscaling.versions.map((v: Json) => v.version)).toEqual(['v2', 'v1']);
    const list = (await call('GET', '/apis/apps/v1')).body;
    expect(list).toMatchObject({ kind: 'APIResourceList', groupVersion: 'apps/v1' });
    expect(list.resources).toContainEqual(
      expect.objectContaining({
        name: 'deployments',
        kind: 'Deployment',
        namespaced: true,
        shortNames: ['deploy'],
      }),
    );
    expect(list.resources).toContainEqual(
      expect.objectContaining({
        name: 'deployments/scale',
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
      }),
    );
    const core = (await call('GET', '/api/v1')).body;
    expect(core.resources).toContainEqual(
      expect.objectContaining({ name: 'pods/binding', kind: 'Binding' }),
    );
    expect((await call('GET', '/apis/nope')).status).toBe(404);
  });
});
