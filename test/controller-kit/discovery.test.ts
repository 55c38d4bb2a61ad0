// Discovery read through the sdk client from a real `skiff server`, and finalize as an update.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiVersionOf,
  discoverResources,
  isSkiffError,
  type KubeClient,
  refOfResource,
  type ServerResource,
} from '../../sdk/index.ts';
import { type ApiServer, startApiServer } from './api-server.ts';

describe('discoverResources', () => {
  let server: ApiServer;
  let client: KubeClient;
  let found: ServerResource[];

  beforeAll(async () => {
    server = await startApiServer();
    client = server.client();
    found = await discoverResources(client);
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await server?.remove();
  });

  it.each([
    ['', 'v1', 'pods', 'Pod', true],
    ['', 'v1', 'namespaces', 'Namespace', false],
    ['apps', 'v1', 'deployments', 'Deployment', true],
    ['rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false],
  ])('lists %s/%s %s as %s (namespaced %s)', (group, version, plural, kind, namespaced) => {
    const r = found.find((x) => x.group === group && x.version === version && x.plural === plural);
    expect(r).toMatchObject({ kind, namespaced, preferred: true });
    expect(r?.verbs).toEqual(expect.arrayContaining(['list', 'watch', 'delete']));
  });

  it('leaves subresources out and names each resource once per group version', () => {
    expect(found.some((r) => r.plural.includes('/'))).toBe(false);
    const keys = found.map((r) => `${r.group}/${r.version}/${r.plural}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('gives the refs and apiVersions objects use', async () => {
    const cm = found.find((r) => r.group === '' && r.plural === 'configmaps');
    expect(cm).toBeDefined();
    if (cm === undefined) return;
    expect(apiVersionOf(cm)).toBe('v1');
    const list = await client.list(refOfResource(cm, 'kube-system'));
    expect(list.items).toEqual([]);
  });

  it('getPath refuses a relative path', async () => {
    const err = await client.getPath('apis').catch((e: unknown) => e);
    expect(isSkiffError(err, 'BadRequest')).toBe(true);
  });

  it('update reaches a subresource: a namespace finalized while terminating goes', async () => {
    const namespaces = { group: '', version: 'v1', plural: 'namespaces' };
    await client.create(namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'fin' },
    });
    const marked = await client.delete(namespaces, 'fin');
    expect(marked.metadata?.deletionTimestamp).toBeTruthy();
    await client.update(
      namespaces,
      { ...marked, spec: { finalizers: [] } },
      { subresource: 'finalize' },
    );
    const err = await client.get(namespaces, 'fin').catch((e: unknown) => e);
    expect(isSkiffError(err, 'NotFound')).toBe(true);
  });
});
