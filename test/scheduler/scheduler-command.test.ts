import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNode, makePod } from '../../plugins/scheduler-default/fixtures.ts';
import type { Node } from '../../sdk/api/core/node.ts';
import type { Pod } from '../../sdk/api/core/pod.ts';
import type { KubeClient } from '../../sdk/client/client.ts';
import { type ApiServer, startApiServer } from '../controller-kit/api-server.ts';
import { type Daemon, startDaemon } from '../harness/daemon.ts';

// `skiff scheduler` as its own process against a real `skiff server`, with the example plugin
// configured by path next to the defaults: the node under maintenance is avoided.

const root = join(import.meta.dirname, '..', '..');
const example = join(root, 'test/plugins/example-scheduler/index.ts');
const pods = { group: '', version: 'v1', plural: 'pods', namespace: 'default' };
const nodes = { group: '', version: 'v1', plural: 'nodes' };

let server: ApiServer;
let client: KubeClient;
let scheduler: Daemon;

async function addNode(name: string, labels: Record<string, string>): Promise<void> {
  const node = makeNode(name, { cpu: name === 'big' ? '64' : '4', labels });
  const created = await client.create<Node>(nodes, { ...node, status: undefined });
  await client.updateStatus<Node>(nodes, { ...created, status: node.status });
}

beforeAll(async () => {
  server = await startApiServer();
  client = server.client();
  scheduler = await startDaemon({
    name: 'skiff-scheduler',
    command: process.execPath,
    args: (dir) => {
      const config = join(dir, 'cluster.yaml');
      writeFileSync(
        config,
        `apiVersion: skiff.dev/v1alpha1\nkind: ClusterConfig\nplugins:\n  - scheduler-default\n  - ${example}\n`,
      );
      return [join(root, 'core/cli/skiff.mjs'), 'scheduler', '-k', server.kubeconfig, '-c', config];
    },
    ready: async (dir) => {
      try {
        return readFileSync(join(dir, 'daemon.log'), 'utf8').includes('skiff scheduler scheduling');
      } catch {
        return false;
      }
    },
    readyTimeoutMs: 60_000,
  });
});

afterAll(async () => {
  await scheduler?.stop();
  client?.close();
  await server?.remove();
});

describe('skiff scheduler', () => {
  it('places pods with the configured example plugin in the profile', async () => {
    await addNode('big', { 'example.com/maintenance': 'true' });
    await addNode('small', {});
    const { apiVersion, kind, metadata, spec } = makePod('app', { cpu: '1' });
    await client.create<Pod>(pods, { apiVersion, kind, metadata: { name: metadata.name }, spec });
    let nodeName: string | undefined;
    for (let i = 0; i < 600 && nodeName === undefined; i++) {
      nodeName = (await client.get<Pod>(pods, 'app')).spec?.nodeName;
      if (nodeName === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect(nodeName, `scheduler log:\n${scheduler.log()}`).toBe('small');
    expect(scheduler.log()).toContain('skiff scheduler scheduling for default-scheduler');
  });
});
