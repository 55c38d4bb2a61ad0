// The ReplicaSet and Deployment controllers against a real `skiff server` process. No nodes
// exist, so a stand-in kubelet in the test marks pods Running and Ready.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { api, KubeClient } from '../../sdk/index.ts';
import { type ApiServer, startApiServer } from '../../test/controller-kit/api-server.ts';
import { runWorkloadControllers } from './index.ts';
import { revisionAnnotation, templateHashLabel } from './rollout-math.ts';

const ns = 'default';
const pods = { group: '', version: 'v1', plural: 'pods', namespace: ns };
const replicaSets = { group: 'apps', version: 'v1', plural: 'replicasets', namespace: ns };
const deployments = { group: 'apps', version: 'v1', plural: 'deployments', namespace: ns };
const kubectl = '/usr/bin/kubectl';

async function until<T>(what: string, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const active = (p: api.Pod) => !p.metadata?.deletionTimestamp;
const ready = (p: api.Pod) =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

async function listPods(client: KubeClient, selector: string): Promise<api.Pod[]> {
  return (await client.list<api.Pod>(pods, { labelSelector: selector })).items.filter(active);
}

/** markReady does what a kubelet would: the pod runs and is Ready. */
async function markReady(client: KubeClient, pod: api.Pod): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  try {
    await client.updateStatus(pods, {
      ...pod,
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
      },
    });
  } catch {
    // Changed or deleted meanwhile: the next sweep sees it again.
  }
}

const template = (app: string, image: string) => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: 'main', image }] },
});

describe('workload controllers on a real skiff server', () => {
  let server: ApiServer;
  let client: KubeClient;
  let controllers: { stop(): Promise<void> };

  beforeAll(async () => {
    server = await startApiServer();
    client = server.client();
    controllers = runWorkloadControllers(server.client());
  }, 90_000);

  afterAll(async () => {
    await controllers?.stop();
    client?.close();
    await server?.remove();
  });

  it('a ReplicaSet creates its pods, deletes extras on scale-down and replaces a deleted pod', async () => {
    const rs = await client.create<api.ReplicaSet>(replicaSets, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: template('web', 'nginx:1'),
      },
    });
    const three = await until('3 pods', async () => {
      const list = await listPods(client, 'app=web');
      return list.length === 3 ? list : undefined;
    });
    for (const p of three) {
      expect(p.metadata?.name?.startsWith('web-')).toBe(true);
      expect(p.metadata?.ownerReferences).toEqual([
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'web',
          uid: rs.metadata?.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
    for (const p of three) await markReady(client, p);
    await until('status with 3 ready', async () => {
      const s = (await client.get<api.ReplicaSet>(replicaSets, 'web')).status;
      return (
        s?.replicas === 3 &&
        s.readyReplicas === 3 &&
        s.availableReplicas === 3 &&
        s.fullyLabeledReplicas === 3
      );
    });

    await client.delete(pods, three[0]?.metadata?.name ?? '');
    const replaced = await until('a replacement pod', async () => {
      const list = await listPods(client, 'app=web');
      return list.length === 3 && !list.some((p) => p.metadata?.name === three[0]?.metadata?.name)
        ? list
        : undefined;
    });
    const fresh = replaced.find((p) => !three.some((o) => o.metadata?.name === p.metadata?.name));
    expect(fresh).toBeDefined();

    await client.patch(replicaSets, 'web', 'merge', { spec: { replicas: 1 } });
    const left = await until('1 pod', async () => {
      const list = await listPods(client, 'app=web');
      return list.length === 1 ? list : undefined;
    });
    // The not-ready replacement goes before ready pods.
    expect(left[0]?.metadata?.name).not.toBe(fresh?.metadata?.name);
    const s = await until('status of 1', async () => {
      const got = await client.get<api.ReplicaSet>(replicaSets, 'web');
      return got.status?.replicas === 1 ? got : undefined;
    });
    expect(s.status?.observedGeneration).toBe(s.metadata?.generation);

    // An orphan with matching labels is adopted; the set then holds one pod too many.
    await client.patch(replicaSets, 'web', 'merge', { spec: { replicas: 2 } });
    await until('2 pods', async () => (await listPods(client, 'app=web')).length === 2);
    await client.delete(replicaSets, 'web');
  });

  it('a rolling update stays within maxSurge and maxUnavailable and kubectl rollout status finishes', async () => {
    if (!existsSync(kubectl)) throw new Error(`this test needs the real kubectl at ${kubectl}`);
    await client.create<api.Deployment>(deployments, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'shop' },
      spec: {
        replicas: 4,
        selector: { matchLabels: { app: 'shop' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } },
        template: template('shop', 'nginx:1'),
      },
    });
    const violations: string[] = [];
    let states = 0;
    let watching = true;
    // The stand-in kubelet marks every pod ready, and checks the bounds on each state it sees.
    const kubelet = (async () => {
      while (watching) {
        const list = await listPods(client, 'app=shop');
        if (list.length > 5) violations.push(`${list.length} pods exist (most allowed: 5)`);
        for (const p of list) if (!ready(p)) await markReady(client, p);
        states++;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      const first = await until('the first ReplicaSet at full availability', async () => {
        const d = await client.get<api.Deployment>(deployments, 'shop');
        return d.status?.availableReplicas === 4 && d.status.updatedReplicas === 4 ? d : undefined;
      });
      expect(first.status?.observedGeneration).toBe(first.metadata?.generation);
      expect(first.metadata?.annotations?.[revisionAnnotation]).toBe('1');
      const sets = (await client.list<api.ReplicaSet>(replicaSets)).items.filter((r) =>
        r.metadata?.name?.startsWith('shop-'),
      );
      expect(sets).toHaveLength(1);
      const hash = sets[0]?.metadata?.labels?.[templateHashLabel] ?? '';
      expect(sets[0]?.metadata?.name).toBe(`shop-${hash}`);
      expect(sets[0]?.spec?.selector.matchLabels?.[templateHashLabel]).toBe(hash);

      // From here on, availability must never drop below 4 - 1.
      const sampler = (async () => {
        while (watching) {
          const list = await listPods(client, 'app=shop');
          const up = list.filter(ready).length;
          if (up < 3) violations.push(`${up} ready pods (fewest allowed: 3)`);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      await client.patch(deployments, 'shop', 'strategic', {
        spec: { template: { spec: { containers: [{ name: 'main', image: 'nginx:2' }] } } },
      });
      const env = {
        PATH: process.env.PATH ?? '/usr/bin',
        HOME: server.dataDir,
        KUBECONFIG: server.kubeconfig,
      };
      const out = await promisify(execFile)(
        kubectl,
        ['rollout', 'status', 'deployment/shop', '--timeout=90s'],
        { env },
      );
      expect(out.stdout).toContain('successfully rolled out');
      const after = (await client.list<api.ReplicaSet>(replicaSets)).items.filter((r) =>
        r.metadata?.name?.startsWith('shop-'),
      );
      const newRS = after.find((r) => r.metadata?.name !== sets[0]?.metadata?.name);
      expect(newRS?.spec?.replicas).toBe(4);
      expect(newRS?.status?.availableReplicas).toBe(4);
      expect(newRS?.metadata?.annotations?.[revisionAnnotation]).toBe('2');
      expect(
        after.find((r) => r === sets[0] || r.metadata?.name === sets[0]?.metadata?.name)?.spec
          ?.replicas,
      ).toBe(0);
      watching = false;
      await sampler;
    } finally {
      watching = false;
      await kubelet;
    }
    expect(states).toBeGreaterThan(0);
    expect(violations).toEqual([]);
    const d = await client.get<api.Deployment>(deployments, 'shop');
    expect(d.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe(
      'NewReplicaSetAvailable',
    );
  }, 120_000);
});
