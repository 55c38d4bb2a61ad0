import 'reflect-metadata';
import { join } from 'node:path';
import { container } from 'tsyringe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedPlugins, loadPlugins } from '../../core/plugins/loader.ts';
import type { Lease } from '../../sdk/api/cluster/lease.ts';
import type { ConfigMap } from '../../sdk/api/core/config.ts';
import type { KubeClient } from '../../sdk/client/client.ts';
import { apiClientToken } from '../../sdk/client/client-token.ts';
import { isSkiffError } from '../../sdk/errors.ts';
import type { Logger } from '../../sdk/plugin.ts';
import { type ApiServer, startApiServer } from './api-server.ts';

const configMaps = { group: '', version: 'v1', plural: 'configmaps', namespace: 'default' };
const leases = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  namespace: 'default',
};
const pluginDir = join(import.meta.dirname, '..', 'plugins', 'example-controller');
const stamp = 'example.skiff.dev/data-keys';

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the example controller plugin, loaded by path, on a real skiff server', () => {
  let server: ApiServer;
  let client: KubeClient;
  let loaded: LoadedPlugins | undefined;
  const logs: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    logs.push({ level, msg, fields });
  const logger: Logger = {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
  };

  beforeAll(async () => {
    server = await startApiServer();
    client = server.client();
  });

  afterAll(async () => {
    await loaded?.close();
    client?.close();
    await server?.remove();
  });

  const annotation = (name: string) => async () => {
    const cm = await client.get<ConfigMap>(configMaps, name);
    return cm.metadata?.annotations?.[stamp];
  };

  it('is refused at start-up where no API client is registered', async () => {
    let caught: unknown;
    try {
      await loadPlugins({
        sources: [pluginDir],
        container: container.createChildContainer(),
        logger,
      });
    } catch (err) {
      caught = err;
    }
    expect(isSkiffError(caught, 'PluginMissingRequirement')).toBe(true);
    expect((caught as Error).message).toContain('core.apiClient');
  });

  it('stamps labelled ConfigMaps with their data keys and follows changes', async () => {
    const parent = container.createChildContainer();
    parent.register(apiClientToken, { useValue: client });
    await client.create(configMaps, {
      metadata: { name: 'early', labels: { 'example.skiff.dev/stamp': 'yes' } },
      data: { b: '1', a: '2' },
    });
    loaded = await loadPlugins({
      sources: [{ source: pluginDir, config: { identity: 'example-1' } }],
      container: parent,
      logger,
    });
    expect(loaded.plugins.map((p) => p.id)).toEqual(['example-controller']);
    expect(await until('the existing ConfigMap stamped', annotation('early'))).toBe('a,b');

    await client.create(configMaps, {
      metadata: { name: 'late', labels: { 'example.skiff.dev/stamp': 'yes' } },
      data: { x: '1' },
    });
    expect(await until('the new ConfigMap stamped', annotation('late'))).toBe('x');
    await client.patch(configMaps, 'late', 'merge', { data: { y: '2' } });
    await until('the stamp to follow the data', async () =>
      (await annotation('late')()) === 'x,y' ? true : undefined,
    );

    await client.create(configMaps, { metadata: { name: 'unlabelled' }, data: { z: '1' } });
    await client.create(configMaps, {
      metadata: { name: 'skipped', labels: { 'example.skiff.dev/stamp': 'skip' } },
      data: { z: '1' },
    });
    await until('the terminal outcome logged', async () =>
      logs.find((l) => l.level === 'error' && String(l.fields?.reason).includes('skipped')),
    );
    expect(await annotation('unlabelled')()).toBeUndefined();
    expect(await annotation('skipped')()).toBeUndefined();
    const lease = await client.get<Lease>(leases, 'example-controller');
    expect(lease.spec?.holderIdentity).toBe('example-1');
  });

  it('stops acting and gives its Lease up when the plugins close', async () => {
    await loaded?.close();
    loaded = undefined;
    const lease = await client.get<Lease>(leases, 'example-controller');
    expect(lease.spec?.holderIdentity).toBe('');
    await client.create(configMaps, {
      metadata: { name: 'after-close', labels: { 'example.skiff.dev/stamp': 'yes' } },
      data: { q: '1' },
    });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await annotation('after-close')()).toBeUndefined();
  });
});
