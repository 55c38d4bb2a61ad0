import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigMap } from '../../sdk/api/core/config.ts';
import type { KubeObject } from '../../sdk/api/meta.ts';
import { KubeClient } from '../../sdk/client/client.ts';
import { readKubeconfig } from '../../sdk/client/kubeconfig.ts';
import type { WatchEvent } from '../../sdk/client/watch-stream.ts';
import { isSkiffError, type SkiffError } from '../../sdk/errors.ts';
import { type ApiServer, startApiServer } from './api-server.ts';

const configMaps = { group: '', version: 'v1', plural: 'configmaps', namespace: 'default' };

async function failure(call: () => Promise<unknown>): Promise<SkiffError> {
  try {
    await call();
  } catch (err) {
    if (isSkiffError(err)) return err;
    throw err;
  }
  throw new Error('the call succeeded');
}

describe('KubeClient against a real skiff server', () => {
  let server: ApiServer;
  let client: KubeClient;

  beforeAll(async () => {
    server = await startApiServer();
    client = server.client();
  });

  afterAll(async () => {
    client?.close();
    await server?.remove();
  });

  it('creates, reads, updates, patches and deletes, with typed results', async () => {
    const made = await client.create<ConfigMap>(configMaps, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'crud', labels: { app: 'kit' } },
      data: { a: '1' },
    });
    expect(made.metadata?.uid).toBeTruthy();
    const got = await client.get<ConfigMap>(configMaps, 'crud');
    expect(got.data).toEqual({ a: '1' });
    const updated = await client.update(configMaps, { ...got, data: { a: '2' } });
    expect(updated.data).toEqual({ a: '2' });
    const merged = await client.patch<ConfigMap>(configMaps, 'crud', 'merge', { data: { b: '3' } });
    expect(merged.data).toEqual({ a: '2', b: '3' });
    const json = await client.patch<ConfigMap>(configMaps, 'crud', 'json', [
      { op: 'remove', path: '/data/a' },
    ]);
    expect(json.data).toEqual({ b: '3' });
    const strategic = await client.patch<ConfigMap>(configMaps, 'crud', 'strategic', {
      metadata: { labels: { x: 'y' } },
    });
    expect(strategic.metadata?.labels).toEqual({ app: 'kit', x: 'y' });
    const applied = await client.patch<ConfigMap>(
      configMaps,
      'applied',
      'apply',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { k: 'v' } },
      { fieldManager: 'kit-test' },
    );
    expect(applied.data).toEqual({ k: 'v' });
    await client.delete(configMaps, 'crud');
    await client.delete(configMaps, 'applied');
    expect((await failure(() => client.get(configMaps, 'crud'))).code).toBe('NotFound');
  });

  it('writes status through the status subresource', async () => {
    const deployments = {
      group: 'apps',
      version: 'v1',
      plural: 'deployments',
      namespace: 'default',
    };
    const made = await client.create<KubeObject>(deployments, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'with-status' },
      spec: {
        selector: { matchLabels: { app: 'w' } },
        template: {
          metadata: { labels: { app: 'w' } },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    });
    const written = await client.updateStatus(deployments, {
      ...made,
      status: { observedGeneration: 1, replicas: 2 },
    });
    expect(written.status).toMatchObject({ replicas: 2 });
    const read = await client.get<KubeObject>(deployments, 'with-status');
    expect(read.status).toMatchObject({ observedGeneration: 1, replicas: 2 });
    await client.delete(deployments, 'with-status');
  });

  it('turns Status answers into SkiffErrors with the right code', async () => {
    const first = await client.create<ConfigMap>(configMaps, {
      metadata: { name: 'errs' },
      data: {},
    });
    expect(
      (await failure(() => client.create(configMaps, { metadata: { name: 'errs' } }))).code,
    ).toBe('AlreadyExists');
    await client.update(configMaps, { ...first, data: { changed: 'yes' } });
    // An update based on the first resourceVersion is stale now.
    expect(
      (await failure(() => client.update(configMaps, { ...first, data: { stale: 'yes' } }))).code,
    ).toBe('Conflict');
    const invalid = await failure(() =>
      client.create(configMaps, { metadata: { name: 'Not_A_Name' } }),
    );
    expect(invalid.code).toBe('Invalid');
    expect(invalid.causes.length).toBeGreaterThan(0);
    expect((await failure(() => client.delete(configMaps, 'absent'))).code).toBe('NotFound');
    expect((await failure(() => client.patch(configMaps, 'errs', 'apply', {}))).code).toBe(
      'BadRequest',
    );
    const stranger = new KubeClient({ ...readKubeconfig(server.kubeconfig), token: 'wrong' });
    expect((await failure(() => stranger.get(configMaps, 'errs'))).code).toBe('Unauthorized');
    stranger.close();
    const distrustful = KubeClient.fromToken(`https://127.0.0.1:${server.port}`, 'x');
    expect((await failure(() => distrustful.get(configMaps, 'errs'))).code).toBe(
      'ServiceUnavailable',
    );
    distrustful.close();
  });

  it('trusts the CA handed to fromToken', async () => {
    const conn = readKubeconfig(server.kubeconfig);
    expect(readFileSync(server.kubeconfig, 'utf8')).toContain('certificate-authority-data');
    const byToken = KubeClient.fromToken(conn.server, conn.token as string, conn.ca);
    expect((await byToken.list(configMaps)).kind).toBe('ConfigMapList');
    byToken.close();
  });

  it('lists with label selectors and pages with limit and continue', async () => {
    for (const i of [1, 2, 3, 4, 5])
      await client.create(configMaps, {
        metadata: { name: `page-${i}`, labels: { page: i % 2 ? 'odd' : 'even' } },
      });
    const odd = await client.list(configMaps, { labelSelector: 'page=odd' });
    expect(odd.items.map((o) => o.metadata?.name)).toEqual(['page-1', 'page-3', 'page-5']);
    const names: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      // (this server answers a selector with one page whatever the limit, as Kubernetes allows)
      const page = await client.list(configMaps, { limit: 2, continue: cont });
      expect(page.items.length).toBeLessThanOrEqual(2);
      names.push(...page.items.map((o) => o.metadata?.name ?? ''));
      cont = page.metadata.continue || undefined;
      pages++;
    } while (cont);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => n.startsWith('page-'))).toEqual([
      'page-1',
      'page-2',
      'page-3',
      'page-4',
      'page-5',
    ]);
    const byField = await client.list(configMaps, { fieldSelector: 'metadata.name=page-2' });
    expect(byField.items.map((o) => o.metadata?.name)).toEqual(['page-2']);
  });

  it('watches from a resourceVersion as an async iterator that ends at timeoutSeconds', async () => {
    const list = await client.list(configMaps);
    const seen: WatchEvent[] = [];
    const watching = (async () => {
      for await (const e of client.watch(configMaps, {
        resourceVersion: list.metadata.resourceVersion,
        labelSelector: 'watched=yes',
        timeoutSeconds: 3,
      }))
        seen.push(e);
    })();
    await new Promise((r) => setTimeout(r, 300));
    await client.create(configMaps, { metadata: { name: 'w1', labels: { watched: 'yes' } } });
    await client.create(configMaps, { metadata: { name: 'w-other' } });
    await client.patch(configMaps, 'w1', 'merge', { data: { x: '1' } });
    await client.delete(configMaps, 'w1');
    await watching;
    expect(seen.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual([
      'ADDED w1',
      'MODIFIED w1',
      'DELETED w1',
    ]);
  });

  it('ends a watch when its signal aborts', async () => {
    const abort = new AbortController();
    const watching = (async () => {
      let n = 0;
      for await (const _ of client.watch(configMaps, { signal: abort.signal })) n++;
      return n;
    })();
    await new Promise((r) => setTimeout(r, 300));
    abort.abort();
    expect(await watching).toBeGreaterThan(0);
  });
});
