import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../core/store/open-store.ts';
import type { ConfigMap } from '../../sdk/api/core/config.ts';
import type { KubeClient } from '../../sdk/client/client.ts';
import { Informer } from '../../sdk/controller/informer.ts';
import { type ApiServer, startApiServer } from './api-server.ts';

const configMaps = { group: '', version: 'v1', plural: 'configmaps', namespace: 'default' };

/** until polls a condition (the informer works in the background) for up to 30 s. */
async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const cm = (
  name: string,
  data: Record<string, string>,
  labels: Record<string, string> = {},
): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default', labels },
  data,
});

describe('informer against a real skiff server', () => {
  let server: ApiServer;
  let client: KubeClient;
  let informer: Informer<ConfigMap>;
  const events: string[] = [];

  beforeAll(async () => {
    server = await startApiServer();
    client = server.client();
    await client.create(configMaps, cm('before', { a: '1' }, { tier: 'x' }));
    informer = new Informer<ConfigMap>(client, configMaps, {
      indexers: { tier: (o) => (o.metadata?.labels?.tier ? [o.metadata.labels.tier] : []) },
      retryMs: 100,
    });
    informer.addHandlers({
      add: (o) => events.push(`add ${o.metadata?.name}`),
      update: (old, o) => events.push(`update ${o.metadata?.name} ${old.data?.a}->${o.data?.a}`),
      delete: (o) => events.push(`delete ${o.metadata?.name}`),
    });
    informer.start();
  });

  afterAll(async () => {
    await informer?.stop();
    client?.close();
    await server?.remove();
  });

  it('lists first, then sees creates, updates and deletes, and keeps its indexes', async () => {
    await informer.waitForSync();
    expect(informer.hasSynced()).toBe(true);
    expect(events).toEqual(['add before']);
    const made = await client.create(configMaps, cm('one', { a: '1' }, { tier: 'x' }));
    await client.update(configMaps, {
      ...made,
      data: { a: '2' },
      metadata: { ...made.metadata, labels: { tier: 'y' } },
    });
    await client.delete(configMaps, 'before');
    await until('the delete', () => events.includes('delete before'));
    expect(events).toEqual(['add before', 'add one', 'update one 1->2', 'delete before']);
    expect(informer.cache.get('default/one')?.data).toEqual({ a: '2' });
    expect(informer.cache.byIndex('tier', 'y').map((o) => o.metadata?.name)).toEqual(['one']);
    expect(informer.cache.byIndex('tier', 'x')).toEqual([]);
    expect(informer.cache.byIndex('namespace', 'default').map((o) => o.metadata?.name)).toEqual([
      'one',
    ]);
    expect(() => informer.cache.byIndex('colour', 'red')).toThrow(/no index "colour"/);
    expect(informer.stats.lists).toBe(1);
  });

  it('resumes its watch from the last resourceVersion when the server restarts, without listing again', async () => {
    const watchesBefore = informer.stats.watches;
    events.length = 0;
    await server.restart();
    await client.create(configMaps, cm('after-restart', { a: '1' }));
    await until('the create after the restart', () => events.includes('add after-restart'));
    expect(events).toEqual(['add after-restart']);
    expect(informer.stats.lists).toBe(1);
    expect(informer.stats.watches).toBeGreaterThan(watchesBefore);
  });

  it('lists again after 410 Expired and reports what changed while it was away', async () => {
    await informer.stop();
    events.length = 0;
    const seenRv = informer.resourceVersion;
    await client.delete(configMaps, 'one');
    await client.create(configMaps, cm('while-away', { a: '1' }));
    await server.restart(async () => {
      // Compact the stopped server's store so the informer's resourceVersion is gone.
      const store = openStore(`sqlite:${join(server.dataDir, 'state.db')}`);
      try {
        await store.compact(await store.currentRevision());
      } finally {
        await store.close();
      }
    });
    // The informer's resourceVersion is now too old for a watch: the server answers 410.
    const stream = client.watch(configMaps, { resourceVersion: seenRv, timeoutSeconds: 5 });
    const first = await stream.next();
    await stream.return(undefined);
    expect(first.value).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
    informer.start();
    await until('the relist', () => events.length >= 2);
    expect(informer.stats.expired).toBe(1);
    expect(informer.stats.lists).toBe(2);
    expect(events.sort()).toEqual(['add while-away', 'delete one']);
    expect(informer.cache.keys().sort()).toEqual(['default/after-restart', 'default/while-away']);
  });
});
