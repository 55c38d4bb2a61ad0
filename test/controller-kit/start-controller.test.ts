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
import { InformerFactory } from '../../sdk/controller/informer-factory.ts';
import { resourceOf, startController } from '../../sdk/controller/start-controller.ts';
import { type Controller, done, type ObjectKey } from '../../sdk/controller.ts';
import { isSkiffError } from '../../sdk/errors.ts';

const configMaps = { group: '', version: 'v1', plural: 'configmaps', namespace: 'default' };
const secrets = { group: '', version: 'v1', plural: 'secrets', namespace: 'default' };

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// Served in process over plain HTTP: this suite is about the wiring, not the server process.
describe('startController runs a Controller value', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-kit-start-'));
  let store: Store;
  let api: ApiServer;
  let client: KubeClient;

  beforeAll(async () => {
    store = openStore(`sqlite:${join(dir, 'state.db')}`);
    api = await createApiServer({ store, kinds: builtinKindRegistry() });
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

  it('enqueues owned objects and the controller owners of watched objects', async () => {
    const reconciled: string[] = [];
    const factory = new InformerFactory(client);
    const controller: Controller = {
      name: 'owner-demo',
      owns: { apiVersion: 'v1', kind: 'ConfigMap' },
      watches: [{ apiVersion: 'v1', kind: 'Secret' }],
      reconciler: {
        async reconcile(key: ObjectKey) {
          // The reconciler reads the shared cache the runner's informer fills.
          const owner = factory.informerFor(configMaps).cache.get(`${key.namespace}/${key.name}`);
          reconciled.push(`${key.namespace}/${key.name}:${owner ? 'present' : 'absent'}`);
          return done;
        },
      },
    };
    const owner = await client.create<KubeObject>(configMaps, { metadata: { name: 'owner' } });
    const running = startController({ client, controller, factory, namespace: 'default' });
    try {
      await until('the owned object', () => reconciled.includes('default/owner:present'));
      reconciled.length = 0;
      const ref = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'owner',
        uid: owner.metadata?.uid ?? '',
      };
      await client.create<KubeObject>(secrets, {
        metadata: { name: 'owned', ownerReferences: [{ ...ref, controller: true }] },
      });
      await until('the owner of the new Secret', () =>
        reconciled.includes('default/owner:present'),
      );
      reconciled.length = 0;
      // Only a controller reference counts: a plain owner reference does not enqueue.
      await client.create<KubeObject>(secrets, {
        metadata: { name: 'loose', ownerReferences: [{ ...ref, name: 'other' }] },
      });
      await client.delete(configMaps, 'owner');
      await until('the deleted owner', () => reconciled.includes('default/owner:absent'));
      expect(reconciled.some((r) => r.startsWith('default/other'))).toBe(false);
    } finally {
      await running.stop();
      await factory.stop();
    }
  });

  it("takes its keys from the controller's own informers, never from a runner's other ones", async () => {
    // The controller reads the caches of its own factory; the runner is handed a different
    // one (as a control plane sharing one factory between plugins does). A key queued from
    // the runner's informer could reach the reconciler before its cache showed the change,
    // and a reconcile of a stale cache is not repeated once the cache catches up.
    const own = new InformerFactory(client);
    const other = new InformerFactory(client);
    const seen: string[] = [];
    const controller: Controller = {
      name: 'own-informers',
      owns: { apiVersion: 'v1', kind: 'ConfigMap' },
      informers: own,
      reconciler: {
        async reconcile(key: ObjectKey) {
          const cm = own.informerFor(configMaps).cache.get(`${key.namespace}/${key.name}`);
          seen.push(String((cm as { data?: { n?: string } } | undefined)?.data?.n));
          return done;
        },
      },
    };
    await client.create<KubeObject>(configMaps, {
      metadata: { name: 'counter' },
      data: { n: '0' },
    });
    const running = startController({ client, controller, factory: other, namespace: 'default' });
    try {
      await until('the first reconcile', () => seen.includes('0'));
      for (let n = 1; n <= 20; n++) {
        const current = await client.get<KubeObject>(configMaps, 'counter');
        await client.update<KubeObject>(configMaps, {
          ...current,
          data: { n: String(n) },
        } as KubeObject);
      }
      await until('a reconcile that saw the last write', () => seen.includes('20'));
      // The runner made no informer of its own: nothing could queue a key the cache lacked.
      expect(other.informerFor(configMaps).cache.list()).toHaveLength(0);
    } finally {
      await running.stop();
      await own.stop();
      await other.stop();
    }
  });

  it('names a kind it cannot find', () => {
    let caught: unknown;
    try {
      resourceOf(builtinKindRegistry(), { apiVersion: 'acme.dev/v1', kind: 'Widget' });
    } catch (err) {
      caught = err;
    }
    expect(isSkiffError(caught, 'NotFound')).toBe(true);
    expect((caught as Error).message).toContain('Widget');
  });
});
