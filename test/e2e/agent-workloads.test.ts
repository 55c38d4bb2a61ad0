// Workloads on `skiff agent` with the Docker adapter, driven by the real kubectl: the nginx
// Deployment scales up and down to nothing, a deleted pod is replaced, a rolling update keeps
// the pods serving, and a node whose agent dies has its pods moved to the other node.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { builtinPluginIds } from '../../core/plugins/builtins.ts';
import type { Pod } from '../../sdk/api/core/pod.ts';
import {
  type AgentCluster,
  type ExtraNode,
  podsOf,
  startAgentCluster,
  startExtraNode,
  waitFor,
} from './agent-harness.ts';

const images = ['skiff.local/pause:1', 'nginx:1.7.9', 'gvenkat/vote:v1'];
const manifest = readFileSync('/work/shared/manifests/seeds/nginx-deployment.yaml', 'utf8');
const nginx = 'app=nginx';
const deployment = 'deployment/nginx-deployment';
// Short enough for a test, longer than the agent's 10 s heartbeat so a live node stays Ready.
const gracePeriodSeconds = 25;

let cluster: AgentCluster;
let second: ExtraNode | undefined;
const configFile = join(tmpdir(), `skiff-workloads-${process.pid}.yaml`);

beforeAll(async () => {
  const plugins = (await builtinPluginIds()).map((source) =>
    source === 'controllers-nodelifecycle'
      ? {
          source,
          config: {
            nodeMonitorGracePeriodSeconds: gracePeriodSeconds,
            nodeMonitorPeriodSeconds: 1,
          },
        }
      : source,
  );
  writeFileSync(
    configFile,
    stringify({ apiVersion: 'skiff.dev/v1alpha1', kind: 'ClusterConfig', plugins }),
  );
  cluster = await startAgentCluster(images, { configFile });
}, 180_000);
afterAll(async () => {
  await second?.stop();
  await cluster?.stop();
  rmSync(configFile, { force: true });
}, 120_000);

const kubectl = (...args: string[]) => cluster.server.kubectl(args);

type P = Pod & { metadata: NonNullable<Pod['metadata']> };
const ready = (p: P) =>
  !p.metadata.deletionTimestamp &&
  p.status?.phase === 'Running' &&
  (p.status.containerStatuses ?? []).length > 0 &&
  p.status.containerStatuses?.every((c) => c.ready) === true;

/** runningPods waits for exactly n live pods, all Running and ready; a failure shows them. */
async function runningPods(n: number, test: (p: P) => boolean = () => true): Promise<P[]> {
  let seen: P[] = [];
  try {
    return await waitFor(
      `${n} Running pods with ${nginx}`,
      async () => {
        const pods = await podsOf(cluster.client, nginx);
        seen = pods;
        const live = pods.filter((p) => !p.metadata.deletionTimestamp);
        return live.length === n && live.every((p) => ready(p) && test(p)) ? live : undefined;
      },
      90_000,
    );
  } catch (err) {
    const states = seen.map(
      (p) =>
        `${p.metadata.name} on ${p.spec?.nodeName}: deleting=${Boolean(p.metadata.deletionTimestamp)} ${JSON.stringify(p.status?.containerStatuses?.map((c) => c.state))}`,
    );
    throw new Error(`${String(err)}\n${states.join('\n')}`);
  }
}

/** dockerPodUids are the pod uids the Docker adapter's containers in a dockerd belong to. */
async function dockerPodUids(cl: AgentCluster): Promise<Set<string>> {
  const list = await cl.dockerd.docker.listContainers({
    all: true,
    filters: { label: ['io.skiff.runtime.kind'] },
  });
  const uids = new Set<string>();
  for (const c of list) {
    const labels = JSON.parse(c.Labels['io.skiff.runtime.labels'] ?? '{}') as Record<
      string,
      string
    >;
    if (labels['io.kubernetes.pod.uid']) uids.add(labels['io.kubernetes.pod.uid']);
  }
  return uids;
}

async function ok(...args: string[]) {
  const r = await kubectl(...args);
  expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('Deployments on skiff agent', () => {
  it('scales the nginx Deployment 3 -> 5 -> 0, leaving no pods and no containers behind', async () => {
    const applied = await cluster.server.kubectl(['apply', '-f', '-'], { input: manifest });
    expect(applied.code, applied.stderr).toBe(0);
    await runningPods(3);
    await ok('scale', deployment, '--replicas=5');
    const five = await runningPods(5);
    for (const p of five) expect(p.status?.podIP).toMatch(/^10\.\d+\.\d+\.\d+$/);
    expect(new Set(five.map((p) => p.status?.podIP)).size).toBe(5);
    const uids = five.map((p) => p.metadata.uid ?? '');
    const before = await dockerPodUids(cluster);
    for (const uid of uids) expect(before.has(uid)).toBe(true);
    await ok('scale', deployment, '--replicas=0');
    await waitFor('no nginx pods', async () => (await podsOf(cluster.client, nginx)).length === 0);
    await waitFor('no containers of the nginx pods in dockerd', async () => {
      const left = await dockerPodUids(cluster);
      return uids.every((uid) => !left.has(uid));
    });
    const get = await kubectl('get', 'pods', '-l', nginx);
    expect(get.stdout).not.toMatch(/nginx-deployment/);
  }, 150_000);

  it('replaces a deleted pod of the Deployment with a new Running one', async () => {
    await ok('scale', deployment, '--replicas=3');
    const pods = await runningPods(3);
    const victim = pods[0]?.metadata.name ?? '';
    await ok('delete', 'pod', victim, '--wait=true', '--timeout=60s');
    const again = await runningPods(3);
    const names = again.map((p) => p.metadata.name);
    expect(names).not.toContain(victim);
    expect(names.filter((n) => !pods.some((p) => p.metadata.name === n))).toHaveLength(1);
  }, 120_000);

  it('rolls out a new image while the pods keep answering HTTP', async () => {
    await runningPods(3);
    const results: { at: number; ok: boolean; nginx?: boolean; ready: number }[] = [];
    let stop = false;
    let turn = 0;
    const client = (async () => {
      while (!stop) {
        const at = Date.now();
        let targets: P[] = [];
        try {
          targets = (await podsOf(cluster.client, nginx)).filter(ready);
          const ip = targets[turn++ % Math.max(targets.length, 1)]?.status?.podIP;
          if (!ip) throw new Error('no Ready pod');
          const res = await fetch(`http://${ip}:80/`, { signal: AbortSignal.timeout(1_000) });
          const body = await res.text();
          const old = body.includes('Welcome to nginx!');
          results.push({ at, ok: res.ok, nginx: old, ready: targets.length });
        } catch {
          results.push({ at, ok: false, ready: targets.length });
        }
        await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - at))));
      }
    })();
    let start = 0;
    let end = 0;
    try {
      await new Promise((r) => setTimeout(r, 1_000));
      start = Date.now();
      await ok('set', 'image', deployment, 'nginx=gvenkat/vote:v1');
      const status = await kubectl('rollout', 'status', deployment, '--timeout=120s');
      end = Date.now();
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/successfully rolled out/);
      // A second more, so the client also shows the new pods answering after the rollout.
      await new Promise((r) => setTimeout(r, 1_000));
    } finally {
      stop = true;
      await client;
    }
    const during = results.filter((r) => r.at >= start && r.at <= end);
    const failed = during.filter((r) => !r.ok).length;
    expect(during.length).toBeGreaterThan(0);
    // No second of the rollout (and of the second after it) went without an answer: between
    // the last answer before it and the first after it, every gap is under a second.
    const answered = results.filter((r) => r.ok).map((r) => r.at);
    const last = results[results.length - 1]?.at ?? end;
    const from = Math.max(...answered.filter((t) => t < start), start - 1_000);
    const gaps: string[] = [];
    let prev = from;
    for (const t of [...answered.filter((t) => t >= start), last + 1]) {
      if (t - prev >= 1_000) gaps.push(`${prev - start}..${t - start} ms`);
      prev = t;
    }
    expect(gaps, `spans without an answer (${failed}/${during.length} requests failed)`).toEqual(
      [],
    );
    // maxUnavailable 25% of 3 rounds down to 0: three pods were Ready at every moment.
    expect(Math.min(...during.map((r) => r.ready))).toBeGreaterThanOrEqual(3);
    // The client was served by the old pods and then by the new ones, and after the
    // rollout only by the new ones.
    const served = results.filter((r) => r.ok);
    expect(served.some((r) => r.nginx)).toBe(true);
    expect(served.some((r) => !r.nginx)).toBe(true);
    expect(served.filter((r) => r.at > end).length).toBeGreaterThan(0);
    expect(served.filter((r) => r.at > end && r.nginx)).toEqual([]);
    const pods = await runningPods(3);
    for (const p of pods) expect(p.spec?.containers[0]?.image).toBe('gvenkat/vote:v1');
    const page = await fetch(`http://${pods[0]?.status?.podIP}:80/`);
    expect(await page.text()).not.toContain('Welcome to nginx!');
  }, 150_000);

  it('moves the pods of a node whose agent died to the other node', async () => {
    second = await startExtraNode(cluster, 'e2e-node-2', images);
    await waitFor('node e2e-node-2 Ready', async () =>
      /e2e-node-2\s+Ready/.test((await kubectl('get', 'nodes')).stdout),
    );
    // Every new pod goes to the second node while the first is cordoned; the pods tolerate an
    // unreachable node for 5 s instead of the 300 s the API server gives by default.
    await ok('cordon', cluster.nodeName);
    const patch = {
      spec: {
        template: {
          spec: {
            tolerations: [
              {
                key: 'node.kubernetes.io/unreachable',
                operator: 'Exists',
                effect: 'NoExecute',
                tolerationSeconds: 5,
              },
              {
                key: 'node.kubernetes.io/not-ready',
                operator: 'Exists',
                effect: 'NoExecute',
                tolerationSeconds: 5,
              },
            ],
          },
        },
      },
    };
    await ok('patch', deployment, '--type=merge', '-p', JSON.stringify(patch));
    expect(
      (await kubectl('rollout', 'status', deployment, '--timeout=120s')).code,
      'rollout onto the second node',
    ).toBe(0);
    const moved = await runningPods(3, (p) => p.spec?.nodeName === 'e2e-node-2');
    await ok('uncordon', cluster.nodeName);

    second.agent.kill('SIGKILL');
    const node = await waitFor(
      'e2e-node-2 Unknown and tainted unreachable',
      async () => {
        const n = JSON.parse((await kubectl('get', 'node', 'e2e-node-2', '-o', 'json')).stdout);
        const readyCond = n.status.conditions.find((c: { type: string }) => c.type === 'Ready');
        const taints: { key: string; effect: string }[] = n.spec.taints ?? [];
        return readyCond?.status === 'Unknown' &&
          taints.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute')
          ? n
          : undefined;
      },
      90_000,
    );
    expect(node.spec.taints.map((t: { effect: string }) => t.effect).sort()).toEqual([
      'NoExecute',
      'NoSchedule',
    ]);
    expect((await kubectl('get', 'nodes')).stdout).toMatch(/e2e-node-2\s+NotReady/);
    const back = await runningPods(3, (p) => p.spec?.nodeName === cluster.nodeName);
    for (const p of back)
      expect(moved.map((m) => m.metadata.uid)).not.toContain(p.metadata.uid ?? '');
    // The old pods were evicted: deleted through the API with an event each. They stay
    // Terminating, as on Kubernetes, since no agent is left on their node to finish them.
    const old = (await podsOf(cluster.client, nginx)).filter((p) =>
      moved.some((m) => m.metadata.uid === p.metadata.uid),
    );
    expect(old).toHaveLength(3);
    for (const p of old) expect(p.metadata.deletionTimestamp).toBeTruthy();
    const events = await ok('get', 'events', '--field-selector', 'reason=TaintManagerEviction');
    for (const p of moved)
      expect(events).toContain(`Marking for deletion Pod default/${p.metadata.name}`);
  }, 240_000);
});
