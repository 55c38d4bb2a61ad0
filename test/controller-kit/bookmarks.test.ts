import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, createApiServer } from '../../core/server/app.ts';
import { openStore } from '../../core/store/open-store.ts';
import type { Store } from '../../core/store/store.ts';
import { builtinKindRegistry } from '../../sdk/api/builtin-kinds.ts';
import type { KubeObject } from '../../sdk/api/meta.ts';
import { KubeClient } from '../../sdk/client/client.ts';
import { Informer } from '../../sdk/controller/informer.ts';
import { InformerFactory } from '../../sdk/controller/informer-factory.ts';

// The skiff server process sends bookmarks every 30 s; this suite serves the same API in
// process with a short interval, over plain HTTP, to see them without waiting.
describe('watch bookmarks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-kit-bookmarks-'));
  let store: Store;
  let api: ApiServer;
  let client: KubeClient;

  beforeAll(async () => {
    store = openStore(`sqlite:${join(dir, 'state.db')}`);
    api = await createApiServer({ store, kinds: builtinKindRegistry(), bookmarkIntervalMs: 150 });
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const address = api.app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    client = new KubeClient({ server: `http://127.0.0.1:${port}` });
  });

  afterAll(async () => {
    client?.close();
    await api?.app.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('yields BOOKMARK events when allowed, and the informer moves its resourceVersion on them', async () => {
    const defaults = { group: '', version: 'v1', plural: 'configmaps', namespace: 'default' };
    const informer = new Informer(client, defaults, { labelSelector: 'followed', retryMs: 50 });
    informer.start();
    await informer.waitForSync();
    const before = Number(informer.resourceVersion);
    // A write the informer's selector filters out moves the revision; only a bookmark tells.
    const other = await client.create<KubeObject>(defaults, { metadata: { name: 'unfollowed' } });
    const target = Number(other.metadata?.resourceVersion);
    expect(target).toBeGreaterThan(before);
    const deadline = Date.now() + 20_000;
    while (Number(informer.resourceVersion) < target) {
      if (Date.now() > deadline)
        throw new Error(`the informer stayed at ${informer.resourceVersion}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(informer.cache.size).toBe(0);
    expect(informer.stats.lists).toBe(1);
    await informer.stop();

    const types: string[] = [];
    for await (const e of client.watch(defaults, { allowWatchBookmarks: true, timeoutSeconds: 1 }))
      types.push(e.type);
    expect(types).toContain('BOOKMARK');
    const none: string[] = [];
    for await (const e of client.watch(defaults, { timeoutSeconds: 1 })) none.push(e.type);
    expect(none).not.toContain('BOOKMARK');
  });

  it('shares one informer per collection and selector through the factory', async () => {
    const factory = new InformerFactory(client, { retryMs: 50 });
    const defaults = { group: '', version: 'v1', plural: 'configmaps', namespace: 'default' };
    const a = factory.informerFor(defaults, { labelSelector: 'shared' });
    const b = factory.informerFor(defaults, { labelSelector: 'shared' });
    const c = factory.informerFor(defaults);
    const d = factory.informerFor({ ...defaults, namespace: 'kube-system' });
    expect(a).toBe(b);
    expect(new Set([a, c, d]).size).toBe(3);
    await client.create<KubeObject>(defaults, {
      metadata: { name: 'shared-1', labels: { shared: 'y' } },
    });
    factory.start();
    await factory.waitForSync();
    expect(a.cache.keys()).toEqual(['default/shared-1']);
    expect(c.cache.keys()).toContain('default/shared-1');
    expect(d.cache.keys()).not.toContain('default/shared-1');
    await factory.stop();
    expect([a, c, d].map((i) => i.stats.lists)).toEqual([1, 1, 1]);
  });
});
