import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiCluster } from '../../core/scheduler/api-cluster.ts';
import { clusterBinder } from '../../core/scheduler/cluster.ts';
import { defaultProfile } from '../../core/scheduler/default-profile.ts';
import { Scheduler } from '../../core/scheduler/scheduler.ts';
import { makeNode, makePod } from '../../plugins/scheduler-default/fixtures.ts';
import { defaultPlugins } from '../../plugins/scheduler-default/plugins.ts';
import type { Node } from '../../sdk/api/core/node.ts';
import type { Pod } from '../../sdk/api/core/pod.ts';
import type { KubeClient } from '../../sdk/client/client.ts';
import type { AnySchedulerPlugin } from '../../sdk/scheduler.ts';
import { type ApiServer, startApiServer } from '../controller-kit/api-server.ts';

// The scheduler against a real `skiff server`: informers feed it, placements go through the
// pods/binding subresource, failures land in status.conditions and in Event objects.

const pods = { group: '', version: 'v1', plural: 'pods', namespace: 'default' };
const nodes = { group: '', version: 'v1', plural: 'nodes' };

let server: ApiServer;
let client: KubeClient;
let cluster: ApiCluster;
let scheduler: Scheduler;

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 600; i++) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}; last seen: ${JSON.stringify(last)}`);
}

async function addNode(name: string, cpu: string): Promise<void> {
  const node = makeNode(name, { cpu });
  const created = await client.create<Node>(nodes, { ...node, status: undefined });
  await client.updateStatus<Node>(nodes, { ...created, status: node.status });
}

beforeAll(async () => {
  server = await startApiServer();
  client = server.client();
  cluster = new ApiCluster(client);
  const binder = clusterBinder(cluster);
  const plugins = new Map<string, AnySchedulerPlugin>(
    defaultPlugins(() => binder).map((p) => [p.name, p]),
  );
  scheduler = new Scheduler({
    cluster,
    plugins,
    profiles: [defaultProfile()],
    queue: { initialBackoffMs: 50, maxBackoffMs: 200 },
  });
  scheduler.start();
});

afterAll(async () => {
  await scheduler?.stop();
  await cluster?.close();
  client?.close();
  await server?.remove();
});

describe('scheduler over the API server', () => {
  it('binds a pod through the binding subresource and records a Scheduled event', async () => {
    await addNode('worker-1', '2');
    const { apiVersion, kind, metadata, spec } = makePod('web', { cpu: '500m' });
    await client.create<Pod>(pods, { apiVersion, kind, metadata: { name: metadata.name }, spec });
    const bound = await until(
      'web to be bound',
      () => client.get<Pod>(pods, 'web'),
      (p) => p.spec?.nodeName !== undefined,
    );
    expect(bound.spec?.nodeName).toBe('worker-1');
    const events = await until(
      'a Scheduled event',
      () => client.list({ ...pods, plural: 'events' }),
      (l) => l.items.some((e) => (e as { reason?: string }).reason === 'Scheduled'),
    );
    expect(events.items.map((e) => (e as { message?: string }).message)).toContain(
      'Successfully assigned default/web to worker-1',
    );
  });

  it('marks a pod that fits nowhere PodScheduled=False, then binds it once a node fits', async () => {
    const { apiVersion, kind, metadata, spec } = makePod('big', { cpu: '3' });
    await client.create<Pod>(pods, { apiVersion, kind, metadata: { name: metadata.name }, spec });
    const pending = await until(
      'big to be marked unschedulable',
      () => client.get<Pod>(pods, 'big'),
      (p) => (p.status?.conditions ?? []).some((c) => c.type === 'PodScheduled'),
    );
    expect(pending.status?.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message:
        '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    });
    await addNode('worker-2', '8');
    const bound = await until(
      'big to be bound after worker-2 joined',
      () => client.get<Pod>(pods, 'big'),
      (p) => p.spec?.nodeName !== undefined,
    );
    expect(bound.spec?.nodeName).toBe('worker-2');
  });

  it('writes events in the background and drops those past a full queue', async () => {
    const small = new ApiCluster(client, { maxQueuedEvents: 2, eventWriters: 1 });
    const { apiVersion, kind, metadata, spec } = makePod('noisy', { cpu: '100m' });
    const pod = await client.create<Pod>(pods, {
      apiVersion,
      kind,
      metadata: { name: metadata.name },
      spec: { ...spec, containers: spec?.containers ?? [], schedulerName: 'nobody' },
    });
    // The first event goes straight to the one writer, two wait, the last two find it full.
    for (let i = 1; i <= 5; i++) {
      await small.recordEvent(pod, { type: 'Normal', reason: 'Probe', message: `probe ${i}` });
    }
    await small.close();
    const events = await client.list({ ...pods, plural: 'events' });
    const probes = events.items
      .filter((e) => (e as { reason?: string }).reason === 'Probe')
      .map((e) => (e as { message?: string }).message)
      .sort();
    expect(probes).toEqual(['probe 1', 'probe 2', 'probe 3']);
  });
});
