// The ReplicationController controller against a real `skiff server` process, driven with the
// real kubectl. No nodes exist, so the test marks pods Running and Ready as a kubelet would.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { api, KubeClient } from '../../sdk/index.ts';
import { type ApiServer, startApiServer } from '../../test/controller-kit/api-server.ts';
import { runWorkloadControllers } from './index.ts';

const ns = 'default';
const pods = { group: '', version: 'v1', plural: 'pods', namespace: ns };
const rcs = { group: '', version: 'v1', plural: 'replicationcontrollers', namespace: ns };
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

const active = (p: api.Pod) => !p.metadata?.deletionTimestamp;

async function listPods(client: KubeClient, selector: string): Promise<api.Pod[]> {
  return (await client.list<api.Pod>(pods, { labelSelector: selector })).items.filter(active);
}

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
    // Changed or deleted meanwhile: the caller looks again.
  }
}

describe('ReplicationController on a real skiff server', () => {
  let server: ApiServer;
  let client: KubeClient;
  let controllers: { stop(): Promise<void> };

  const kubectl = (args: string[], input?: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        kubectlPath,
        args,
        {
          env: {
            PATH: process.env.PATH ?? '/usr/bin',
            HOME: server.dataDir,
            KUBECONFIG: server.kubeconfig,
          },
          timeout: 60_000,
        },
        (err, stdout, stderr) =>
          resolve({ code: err === null ? 0 : Number(err.code ?? 1), stdout, stderr }),
      );
      child.stdin?.end(input ?? '');
    });

  beforeAll(async () => {
    if (!existsSync(kubectlPath))
      throw new Error(`this test needs the real kubectl at ${kubectlPath}, which is missing`);
    server = await startApiServer();
    client = server.client();
    controllers = runWorkloadControllers(server.client());
  }, 90_000);

  afterAll(async () => {
    await controllers?.stop();
    client?.close();
    await server?.remove();
  });

  it('keeps replicas pods of its template (selector defaulted from the labels), reports status, and follows kubectl scale', async () => {
    const applied = await kubectl(
      ['apply', '-f', '-'],
      `apiVersion: v1
kind: ReplicationController
metadata:
  name: legacy
spec:
  replicas: 3
  template:
    metadata:
      labels: { app: legacy }
    spec:
      containers: [{ name: main, image: nginx:1 }]
`,
    );
    expect(applied.code, applied.stderr).toBe(0);
    const rc = await client.get<api.ReplicationController>(rcs, 'legacy');
    expect(rc.spec?.selector).toEqual({ app: 'legacy' });
    const three = await until('3 pods', async () => {
      const list = await listPods(client, 'app=legacy');
      return list.length === 3 ? list : undefined;
    });
    for (const p of three) {
      expect(p.metadata?.name?.startsWith('legacy-')).toBe(true);
      expect(p.metadata?.ownerReferences).toEqual([
        {
          apiVersion: 'v1',
          kind: 'ReplicationController',
          name: 'legacy',
          uid: rc.metadata?.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
    for (const p of three) await markReady(client, p);
    const ready = await until('status with 3 ready', async () => {
      const got = await client.get<api.ReplicationController>(rcs, 'legacy');
      const s = got.status;
      return s?.replicas === 3 &&
        s.readyReplicas === 3 &&
        s.availableReplicas === 3 &&
        s.fullyLabeledReplicas === 3
        ? got
        : undefined;
    });
    expect(ready.status?.observedGeneration).toBe(1);

    const scaled = await kubectl(['scale', 'rc', 'legacy', '--replicas=1']);
    expect(scaled.code, scaled.stderr).toBe(0);
    expect(scaled.stdout).toContain('replicationcontroller/legacy scaled');
    await until('1 pod', async () => (await listPods(client, 'app=legacy')).length === 1);
    const after = await until('status of 1', async () => {
      const got = await client.get<api.ReplicationController>(rcs, 'legacy');
      return got.status?.replicas === 1 ? got : undefined;
    });
    expect(after.status?.observedGeneration).toBe(after.metadata?.generation);
    expect(after.metadata?.generation).toBe(2);
    const shown = await kubectl(['get', 'rc', 'legacy', '-o', 'jsonpath={.status.replicas}']);
    expect(shown.stdout).toBe('1');
  });

  it('selects by equality: adopts a matching orphan, counts it as not fully labeled, leaves other pods alone', async () => {
    const pod = (name: string, labels: Record<string, string>) =>
      client.create<api.Pod>(pods, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels },
        spec: { containers: [{ name: 'main', image: 'nginx:1' }] },
      });
    await pod('stray', { app: 'eq' });
    await pod('other', { app: 'eq-not' });
    const rc = await client.create<api.ReplicationController>(rcs, {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'eq' },
      spec: {
        replicas: 2,
        selector: { app: 'eq' },
        template: {
          metadata: { labels: { app: 'eq', tier: 'web' } },
          spec: { containers: [{ name: 'main', image: 'nginx:1' }] },
        },
      },
    });
    const s = await until('2 replicas counted', async () => {
      const got = await client.get<api.ReplicationController>(rcs, 'eq');
      return got.status?.replicas === 2 ? got.status : undefined;
    });
    expect(s.fullyLabeledReplicas).toBe(1);
    const stray = await client.get<api.Pod>(pods, 'stray');
    expect(stray.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'ReplicationController',
      uid: rc.metadata?.uid,
    });
    const other = await client.get<api.Pod>(pods, 'other');
    expect(other.metadata?.ownerReferences ?? []).toEqual([]);
    expect(await listPods(client, 'app=eq')).toHaveLength(2);
  });
});
