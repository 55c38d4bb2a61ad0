// The garbage collector and the namespace controller against a real `skiff server`, loaded by
// built-in id with the workload controllers and run the way `skiff up` runs them; the real
// kubectl deletes as a user would. No nodes exist, so pods stay unscheduled and go at once.
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { container } from 'tsyringe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, startControlPlane } from '../../core/cli/commands/up-control-plane.ts';
import { type LoadedPlugins, loadPlugins } from '../../core/plugins/loader.ts';
import { GarbageCollector } from '../../plugins/controllers-gc/index.ts';
import { type api, apiClientToken, isSkiffError, type KubeClient } from '../../sdk/index.ts';
import { type ApiServer, startApiServer } from '../controller-kit/api-server.ts';

const kubectlPath = '/usr/bin/kubectl';
const silent = { debug() {}, info() {}, warn() {}, error: console.error };
const inNs = (ns: string) => ({
  pods: { group: '', version: 'v1', plural: 'pods', namespace: ns },
  configMaps: { group: '', version: 'v1', plural: 'configmaps', namespace: ns },
  replicaSets: { group: 'apps', version: 'v1', plural: 'replicasets', namespace: ns },
  deployments: { group: 'apps', version: 'v1', plural: 'deployments', namespace: ns },
});
const { pods, configMaps, replicaSets, deployments } = inNs('default');
const namespaces = { group: '', version: 'v1', plural: 'namespaces' };

async function until<T>(what: string, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function gone(client: KubeClient, ref: typeof pods | typeof namespaces, name: string) {
  try {
    await client.get(ref, name);
    return false;
  } catch (err) {
    if (isSkiffError(err, 'NotFound')) return true;
    throw err;
  }
}

describe('garbage collection and namespace deletion on a real skiff server', () => {
  let server: ApiServer;
  let client: KubeClient;
  let loaded: LoadedPlugins | undefined;
  let control: ControlPlane | undefined;

  const kubectl = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        kubectlPath,
        args,
        {
          env: {
            PATH: process.env.PATH ?? '/usr/bin',
            HOME: server.dataDir,
            KUBECONFIG: server.kubeconfig,
          },
          timeout: 90_000,
        },
        (err, stdout, stderr) =>
          resolve({ code: err === null ? 0 : Number(err.code ?? 1), stdout, stderr }),
      );
    });

  const listed = async <T extends api.KubeObject>(ref: typeof pods, prefix: string) =>
    (await client.list<T>(ref)).items.filter((o) => o.metadata?.name?.startsWith(prefix));

  const deploy = async (name: string, replicas: number, ns = 'default') => {
    const made = await kubectl(
      'create',
      'deployment',
      name,
      '--image=busybox:1',
      `--replicas=${replicas}`,
      '-n',
      ns,
    );
    expect(made.code, made.stderr).toBe(0);
    return until(`${replicas} pods of ${name}`, async () => {
      const list = await listed<api.Pod>(inNs(ns).pods, `${name}-`);
      return list.length === replicas ? list : undefined;
    });
  };

  beforeAll(async () => {
    if (!existsSync(kubectlPath))
      throw new Error(`these tests need the real kubectl at ${kubectlPath}, which is missing`);
    server = await startApiServer();
    client = server.client();
    const parent = container.createChildContainer();
    parent.register(apiClientToken, { useValue: client });
    loaded = await loadPlugins({
      sources: ['controllers-workloads', 'controllers-gc'],
      container: parent,
      logger: silent,
    });
    control = startControlPlane(client, loaded);
  }, 90_000);

  afterAll(async () => {
    await control?.stop();
    await loaded?.close();
    client?.close();
    await server?.remove();
  });

  it('runs the garbage collector as a component and the namespace controller', () => {
    expect(control?.components).toEqual(['garbage-collector']);
    expect(control?.controllers).toContain('namespace');
  });

  it('kubectl delete deployment with the default propagation removes its ReplicaSets and pods', async () => {
    await deploy('web', 2);
    expect(await listed(replicaSets, 'web-')).toHaveLength(1);
    const out = await kubectl('delete', 'deployment', 'web');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('deployment.apps "web" deleted');
    await until('the ReplicaSet and pods of web to go', async () => {
      const left = [...(await listed(replicaSets, 'web-')), ...(await listed(pods, 'web-'))];
      return left.length === 0;
    });
  });

  it('kubectl delete rc takes the pods of a core-group owner along', async () => {
    const rcs = {
      group: '',
      version: 'v1',
      plural: 'replicationcontrollers',
      namespace: 'default',
    };
    await client.create(rcs, {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'old-style' },
      spec: {
        replicas: 2,
        template: {
          metadata: { labels: { app: 'old-style' } },
          spec: { containers: [{ name: 'main', image: 'busybox:1' }] },
        },
      },
    });
    await until('2 pods of old-style', async () => (await listed(pods, 'old-style-')).length === 2);
    const out = await kubectl('delete', 'rc', 'old-style');
    expect(out.code, out.stderr).toBe(0);
    await until(
      'the pods of old-style to go',
      async () => (await listed(pods, 'old-style-')).length === 0,
    );
  });

  it('--cascade=orphan keeps the ReplicaSet and pods and strips the ownerReference to the Deployment', async () => {
    await deploy('keep', 2);
    const [rs] = await listed<api.ReplicaSet>(replicaSets, 'keep-');
    const out = await kubectl('delete', 'deployment', 'keep', '--cascade=orphan');
    expect(out.code, out.stderr).toBe(0);
    expect(await gone(client, deployments, 'keep')).toBe(true);
    const kept = await client.get<api.ReplicaSet>(replicaSets, rs?.metadata?.name ?? '');
    expect(kept.metadata?.uid).toBe(rs?.metadata?.uid);
    expect(kept.metadata?.ownerReferences).toBeUndefined();
    expect(kept.metadata?.deletionTimestamp).toBeUndefined();
    // The pods still belong to the ReplicaSet, which still exists.
    const podsLeft = await listed<api.Pod>(pods, 'keep-');
    expect(podsLeft).toHaveLength(2);
    for (const p of podsLeft)
      expect(p.metadata?.ownerReferences?.[0]?.uid).toBe(kept.metadata?.uid);
    // Now an ordinary delete of the ReplicaSet takes its pods along.
    const rsGone = await kubectl('delete', 'replicaset', kept.metadata?.name ?? '');
    expect(rsGone.code, rsGone.stderr).toBe(0);
    await until('the pods of keep to go', async () => (await listed(pods, 'keep-')).length === 0);
  });

  it('--cascade=foreground deletes the dependents first; the Deployment stays marked until they are gone', async () => {
    const made = await deploy('fg', 2);
    const [held, other] = made;
    // A finalizer of the test's own holds one pod, so the wait is visible.
    await client.patch(pods, held?.metadata?.name ?? '', 'merge', {
      metadata: { finalizers: ['test.skiff.io/hold'] },
    });
    const out = await kubectl('delete', 'deployment', 'fg', '--cascade=foreground', '--wait=false');
    expect(out.code, out.stderr).toBe(0);
    await until('the unheld pod to go', () => gone(client, pods, other?.metadata?.name ?? ''));
    const waiting = await client.get<api.Deployment>(deployments, 'fg');
    expect(waiting.metadata?.deletionTimestamp).toBeTruthy();
    expect(waiting.metadata?.finalizers).toContain('foregroundDeletion');
    const rs = (await listed<api.ReplicaSet>(replicaSets, 'fg-'))[0];
    expect(rs?.metadata?.finalizers).toContain('foregroundDeletion');
    const pod = await client.get<api.Pod>(pods, held?.metadata?.name ?? '');
    expect(pod.metadata?.deletionTimestamp).toBeTruthy();
    await client.patch(pods, held?.metadata?.name ?? '', 'merge', {
      metadata: { finalizers: null },
    });
    await until('the Deployment to go', () => gone(client, deployments, 'fg'));
    expect(await listed(replicaSets, 'fg-')).toEqual([]);
    expect(await listed(pods, 'fg-')).toEqual([]);
  });

  it('a ConfigMap owned by a deleted ConfigMap goes; one with another live owner stays, without the dead reference', async () => {
    const cm = (name: string, owners: api.KubeObject[] = []) =>
      client.create<api.KubeObject>(configMaps, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name,
          ownerReferences: owners.map((o) => ({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            name: o.metadata?.name ?? '',
            uid: o.metadata?.uid ?? '',
          })),
        },
      });
    const owner = await cm('owner');
    const survivor = await cm('survivor');
    await cm('child', [owner]);
    await cm('shared', [owner, survivor]);
    const out = await kubectl('delete', 'configmap', 'owner');
    expect(out.code, out.stderr).toBe(0);
    await until('child to go', () => gone(client, configMaps, 'child'));
    const shared = await until('shared to lose its dead owner', async () => {
      const o = await client.get(configMaps, 'shared');
      return o.metadata?.ownerReferences?.length === 1 ? o : undefined;
    });
    expect(shared.metadata?.ownerReferences?.[0]?.uid).toBe(survivor.metadata?.uid);
  });

  it('a ConfigMap whose owner never existed (a uid the server does not know) goes', async () => {
    await client.create(configMaps, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'stray',
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nowhere', uid: 'no-such-uid' },
        ],
      },
    });
    await until('stray to go', () => gone(client, configMaps, 'stray'));
  });

  it('an owner of a kind the server does not serve keeps its dependent, with a Warning event', async () => {
    await client.create(configMaps, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'unknown-owner',
        ownerReferences: [{ apiVersion: 'example.io/v1', kind: 'Gadget', name: 'g', uid: 'g-1' }],
      },
    });
    const events = { group: '', version: 'v1', plural: 'events', namespace: 'default' };
    const event = await until('a Warning event', async () =>
      (
        await client.list<api.KubeObject & { reason?: string; type?: string; message?: string }>(
          events,
        )
      ).items.find((e) => e.reason === 'OwnerRefUnresolved'),
    );
    expect(event.type).toBe('Warning');
    expect(event.message).toContain('example.io/v1/Gadget');
    expect(await gone(client, configMaps, 'unknown-owner')).toBe(false);
  });

  it('kubectl delete ns removes the content and then the namespace', async () => {
    expect((await kubectl('create', 'namespace', 'team')).code).toBe(0);
    await deploy('api', 2, 'team');
    const cmMade = await kubectl(
      'create',
      'configmap',
      'settings',
      '--from-literal=a=1',
      '-n',
      'team',
    );
    expect(cmMade.code, cmMade.stderr).toBe(0);
    const out = await kubectl('delete', 'namespace', 'team');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('namespace "team" deleted');
    expect(await gone(client, namespaces, 'team')).toBe(true);
    const team = inNs('team');
    for (const ref of [team.pods, team.configMaps, team.replicaSets, team.deployments])
      expect((await client.list(ref)).items).toEqual([]);
    const get = await kubectl('get', 'namespace', 'team');
    expect(get.code).not.toBe(0);
    expect(get.stderr).toContain('namespaces "team" not found');
  });

  it('a namespace waiting on content reports it in its conditions, and goes when the content does', async () => {
    expect((await kubectl('create', 'namespace', 'slow')).code).toBe(0);
    const slow = inNs('slow');
    await client.create(slow.configMaps, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'held', finalizers: ['test.skiff.io/hold'] },
    });
    const out = await kubectl('delete', 'namespace', 'slow', '--wait=false');
    expect(out.code, out.stderr).toBe(0);
    const ns = await until('the namespace to report remaining content', async () => {
      const o = await client.get<api.Namespace>(namespaces, 'slow');
      const remaining = o.status?.conditions?.find((c) => c.type === 'NamespaceContentRemaining');
      return remaining?.status === 'True' ? o : undefined;
    });
    expect(ns.status?.phase).toBe('Terminating');
    const byType = new Map(ns.status?.conditions?.map((c) => [c.type, c]));
    expect(byType.get('NamespaceContentRemaining')).toMatchObject({
      reason: 'SomeResourcesRemain',
      message: 'Some resources are remaining: configmaps has 1 resource instances',
    });
    expect(byType.get('NamespaceFinalizersRemaining')).toMatchObject({
      status: 'True',
      reason: 'SomeFinalizersRemain',
      message:
        'Some content in the namespace has finalizers remaining: test.skiff.io/hold in 1 resource instances',
    });
    expect(byType.get('NamespaceDeletionContentFailure')).toMatchObject({
      status: 'False',
      reason: 'ContentDeleted',
    });
    const refused = await kubectl('create', 'configmap', 'late', '-n', 'slow');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      'unable to create new content in namespace slow because it is being terminated',
    );
    await client.patch(slow.configMaps, 'held', 'merge', { metadata: { finalizers: null } });
    await until('the namespace to go', () => gone(client, namespaces, 'slow'));
  });

  it('a collector stopped and run again (as on a new leader) starts from a fresh list and still collects', async () => {
    // Only this collector runs now.
    await control?.stop();
    control = undefined;
    const gc = new GarbageCollector(client, { rediscoverMs: 60_000 });
    const first = new AbortController();
    const running = gc.run({ signal: first.signal, logger: silent });
    await until('the first run to follow configmaps', async () =>
      gc.followed.includes('/v1/configmaps'),
    );
    first.abort();
    await running;
    const second = new AbortController();
    const again = gc.run({ signal: second.signal, logger: silent });
    try {
      await until('the second run to follow configmaps', async () =>
        gc.followed.includes('/v1/configmaps'),
      );
      expect(gc.followed).toContain('apps/v1/deployments');
      expect(gc.followed).not.toContain('/v1/events');
      const owner = await client.create<api.KubeObject>(configMaps, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'rerun-owner' },
      });
      await client.create(configMaps, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'rerun-child',
          ownerReferences: [
            {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              name: 'rerun-owner',
              uid: owner.metadata?.uid ?? '',
            },
          ],
        },
      });
      await client.delete(configMaps, 'rerun-owner');
      await until('rerun-child to go', () => gone(client, configMaps, 'rerun-child'));
    } finally {
      second.abort();
      await again;
    }
  });
});
