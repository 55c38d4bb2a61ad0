// An informer's transform against a real `skiff server`: the cache and handlers see only what
// the transform keeps, and updates are still told apart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type api, Informer, type KubeClient } from '../../sdk/index.ts';
import { type ApiServer, startApiServer } from './api-server.ts';

const configMaps = { group: '', version: 'v1', plural: 'configmaps', namespace: 'default' };

async function until<T>(what: string, check: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Informer transform', () => {
  let server: ApiServer;
  let client: KubeClient;

  beforeAll(async () => {
    server = await startApiServer();
    client = server.client();
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await server?.remove();
  });

  it('keeps only what the transform returns, for listed, watched and updated objects', async () => {
    await client.create(configMaps, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'listed' },
      data: { big: 'x'.repeat(1000) },
    } as api.KubeObject);
    const informer = new Informer<api.KubeObject>(client, configMaps, {
      transform: (o) => ({
        metadata: {
          name: o.metadata?.name,
          namespace: o.metadata?.namespace,
          resourceVersion: o.metadata?.resourceVersion,
        },
      }),
    });
    const updates: string[] = [];
    informer.addHandlers({ update: (_old, o) => updates.push(o.metadata?.name ?? '') });
    informer.start();
    try {
      await informer.waitForSync();
      expect(informer.cache.get('default/listed')).toEqual({
        metadata: {
          name: 'listed',
          namespace: 'default',
          resourceVersion: expect.any(String),
        },
      });
      await client.create(configMaps, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'watched', labels: { a: 'b' } },
        data: { k: 'v' },
      } as api.KubeObject);
      const watched = await until('the watched object', () =>
        informer.cache.get('default/watched'),
      );
      expect(Object.keys(watched)).toEqual(['metadata']);
      expect(watched.metadata?.labels).toBeUndefined();
      await client.patch(configMaps, 'watched', 'merge', { data: { k: 'w' } });
      await until('the update', () => updates.includes('watched'));
      expect(Object.keys(informer.cache.get('default/watched') ?? {})).toEqual(['metadata']);
    } finally {
      await informer.stop();
    }
  });
});
