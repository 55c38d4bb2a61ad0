// Recreate, rollback to an earlier template, history cleanup and adoption, against a real
// `skiff server`; a stand-in kubelet marks pods Ready since no nodes exist.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { api, KubeClient } from '../../sdk/index.ts';
import { type ApiServer, startApiServer } from '../../test/controller-kit/api-server.ts';
import { runWorkloadControllers } from './index.ts';
import { revisionAnnotation } from './rollout-math.ts';

const ns = 'default';
const pods = { group: '', version: 'v1', plural: 'pods', namespace: ns };
const replicaSets = { group: 'apps', version: 'v1', plural: 'replicasets', namespace: ns };
const deployments = { group: 'apps', version: 'v1', plural: 'deployments', namespace: ns };
const kubectlPath = '/usr/bin/kubectl';

async function until<T>(what: string, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ready = (p: api.Pod) =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

describe('Deployment strategies and history on a real skiff server', () => {
  let server: ApiServer;
  let client: KubeClient;
  let controllers: { stop(): Promise<void> };
  let kubeletOn = true;
  let kubelet: Promise<void>;
  const images: Set<string>[] = [];

  const listPods = async (selector: string) =>
    (await client.list<api.Pod>(pods, { labelSelector: selector })).items.filter(
      (p) => !p.metadata?.deletionTimestamp,
    );
  const setsOf = async (name: string) =>
    (await client.list<api.ReplicaSet>(replicaSets)).items.filter((r) =>
      r.metadata?.ownerReferences?.some((o) => o.kind === 'Deployment' && o.name === name),
    );
  const kubectl = (args: string[]) =>
    promisify(execFile)(kubectlPath, args, {
      env: {
        PATH: process.env.PATH ?? '/usr/bin',
        HOME: server.dataDir,
        KUBECONFIG: server.kubeconfig,
      },
    });

  beforeAll(async () => {
    server = await startApiServer();
    client = server.client();
    controllers = runWorkloadControllers(server.client());
    // Marks pods Ready and records which images ran side by side at each state it saw.
    kubelet = (async () => {
      while (kubeletOn) {
        const list = await listPods('app');
        images.push(new Set(list.map((p) => p.spec?.containers?.[0]?.image ?? '')));
        for (const p of list) {
          if (ready(p)) continue;
          const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
          await client
            .updateStatus(pods, {
              ...p,
              status: {
                phase: 'Running',
                conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
              },
            })
            .catch(() => undefined);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
  }, 90_000);

  afterAll(async () => {
    kubeletOn = false;
    await kubelet;
    await controllers?.stop();
    client?.close();
    await server?.remove();
  });

  it('Recreate removes every old pod before any new one exists', async () => {
    await client.create<api.Deployment>(deployments, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'batch' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'batch' } },
        strategy: { type: 'Recreate' },
        template: {
          metadata: { labels: { app: 'batch' } },
          spec: { containers: [{ name: 'c', image: 'busybox:1' }] },
        },
      },
    });
    await kubectl(['rollout', 'status', 'deployment/batch', '--timeout=60s']);
    images.length = 0;
    await kubectl(['set', 'image', 'deployment/batch', 'c=busybox:2']);
    const out = await kubectl(['rollout', 'status', 'deployment/batch', '--timeout=60s']);
    expect(out.stdout).toContain('successfully rolled out');
    const mixed = images.filter((s) => s.has('busybox:1') && s.has('busybox:2'));
    expect(mixed).toEqual([]);
    const final = await listPods('app=batch');
    expect(final.map((p) => p.spec?.containers?.[0]?.image)).toEqual([
      'busybox:2',
      'busybox:2',
      'busybox:2',
    ]);
  });

  it('rollout undo brings back the first ReplicaSet as the newest revision, and old sets beyond the history limit go', async () => {
    const spec = (image: string) => ({
      replicas: 2,
      revisionHistoryLimit: 1,
      selector: { matchLabels: { app: 'hist' } },
      template: {
        metadata: { labels: { app: 'hist' } },
        spec: { containers: [{ name: 'c', image }] },
      },
    });
    await client.create<api.Deployment>(deployments, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'hist' },
      spec: spec('img:1'),
    });
    await kubectl(['rollout', 'status', 'deployment/hist', '--timeout=60s']);
    const [first] = await setsOf('hist');
    for (const image of ['img:2', 'img:3']) {
      await kubectl(['set', 'image', 'deployment/hist', `c=${image}`]);
      await kubectl(['rollout', 'status', 'deployment/hist', '--timeout=60s']);
    }
    // Three revisions, a limit of one old set: the first (drained) set is deleted.
    const kept = await until('history cleanup', async () => {
      const sets = await setsOf('hist');
      return sets.length === 2 ? sets : undefined;
    });
    expect(kept.map((r) => r.metadata?.annotations?.[revisionAnnotation]).sort()).toEqual([
      '2',
      '3',
    ]);
    expect(kept.some((r) => r.metadata?.uid === first?.metadata?.uid)).toBe(false);

    await kubectl(['rollout', 'undo', 'deployment/hist']);
    await kubectl(['rollout', 'status', 'deployment/hist', '--timeout=60s']);
    const after = await until('revision 4 on the img:2 set', async () => {
      const sets = await setsOf('hist');
      const back = sets.find((r) => r.spec?.template?.spec?.containers?.[0]?.image === 'img:2');
      return back?.metadata?.annotations?.[revisionAnnotation] === '4' ? back : undefined;
    });
    expect(after.spec?.replicas).toBe(2);
    const d = await client.get<api.Deployment>(deployments, 'hist');
    expect(d.metadata?.annotations?.[revisionAnnotation]).toBe('4');
    const running = await listPods('app=hist');
    expect(running.map((p) => p.spec?.containers?.[0]?.image)).toEqual(['img:2', 'img:2']);
  });

  it('a ReplicaSet adopts a matching orphan and releases a pod whose labels stop matching', async () => {
    const orphan = await client.create<api.Pod>(pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'stray', labels: { app: 'adopt' } },
      spec: { containers: [{ name: 'c', image: 'busybox:1' }] },
    });
    const rs = await client.create<api.ReplicaSet>(replicaSets, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'adopt' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'adopt' } },
        template: {
          metadata: { labels: { app: 'adopt' } },
          spec: { containers: [{ name: 'c', image: 'busybox:1' }] },
        },
      },
    });
    await until('2 pods, the orphan adopted', async () => {
      const list = await listPods('app=adopt');
      const stray = list.find((p) => p.metadata?.name === orphan.metadata?.name);
      return list.length === 2 && stray?.metadata?.ownerReferences?.[0]?.uid === rs.metadata?.uid;
    });
    await client.patch(pods, 'stray', 'merge', { metadata: { labels: { app: 'elsewhere' } } });
    await until('the stray pod released and replaced', async () => {
      const stray = await client.get<api.Pod>(pods, 'stray');
      return (
        (stray.metadata?.ownerReferences ?? []).length === 0 &&
        (await listPods('app=adopt')).length === 2
      );
    });
  });
});
