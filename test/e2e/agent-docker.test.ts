// `skiff agent` on the Docker adapter, driven by the real kubectl: a Deployment's pods run with
// pod IPs, killed containers restart, crash loops back off, finished pods complete, and a
// restarted agent adopts what runs instead of restarting it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../sdk/api/core/pod.ts';
import { type AgentCluster, podsOf, startAgentCluster, waitFor } from './agent-harness.ts';

let cluster: AgentCluster;
const manifest = readFileSync('/work/shared/manifests/seeds/nginx-deployment.yaml', 'utf8');
const nginx = 'app=nginx';

beforeAll(async () => {
  cluster = await startAgentCluster([
    'skiff.local/pause:1',
    'skiff.local/busybox:1',
    'nginx:1.7.9',
    'gvenkat/vote:v1',
  ]);
}, 180_000);
afterAll(async () => {
  await cluster?.stop();
}, 120_000);

const kubectl = (...args: string[]) => cluster.server.kubectl(args);

type P = Pod & { metadata: NonNullable<Pod['metadata']> };
const running = (pods: P[]) =>
  pods.filter(
    (p) => p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.ready),
  );

async function runningPods(selector: string, n: number): Promise<P[]> {
  let seen: P[] = [];
  try {
    return await waitFor(`${n} Running pods with ${selector}`, async () => {
      const pods = await podsOf(cluster.client, selector);
      seen = pods;
      const live = pods.filter((p) => !p.metadata.deletionTimestamp);
      return live.length === n && running(live).length === n ? live : undefined;
    });
  } catch (err) {
    // Say what the pods looked like and what the agent said, so a failure explains itself.
    const states = seen.map((p) => `${p.metadata.name}: ${JSON.stringify(p.status)}`);
    throw new Error(
      `${String(err)}\n${states.join('\n')}\nagent log:\n${cluster.agent().log().slice(-3000)}`,
    );
  }
}

async function appContainers(podUid: string) {
  const list = await cluster.cri.listContainers({
    filter: { labelSelector: { 'io.kubernetes.pod.uid': podUid } },
  });
  return list.containers;
}

describe('skiff agent on the Docker adapter', () => {
  it('registers a Ready node with capacity, addresses and runtime info, and a Lease', async () => {
    const r = await kubectl('get', 'nodes');
    expect(r.stdout).toMatch(new RegExp(`${cluster.nodeName}\\s+Ready`));
    const node = JSON.parse((await kubectl('get', 'node', cluster.nodeName, '-o', 'json')).stdout);
    expect(node.status.capacity.pods).toBe('110');
    expect(Number(node.status.capacity.cpu)).toBeGreaterThan(0);
    expect(node.status.allocatable.memory).toMatch(/^\d+Ki$/);
    expect(node.status.addresses).toEqual([
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: cluster.nodeName },
    ]);
    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^skiff-docker:\/\//);
    expect(node.status.daemonEndpoints.kubeletEndpoint.Port).toBeGreaterThan(0);
    expect(node.status.conditions.map((c: { type: string }) => c.type).sort()).toEqual([
      'DiskPressure',
      'MemoryPressure',
      'PIDPressure',
      'Ready',
    ]);
    const lease = await kubectl(
      'get',
      'lease',
      '-n',
      'kube-node-lease',
      cluster.nodeName,
      '-o',
      'json',
    );
    expect(JSON.parse(lease.stdout).spec.leaseDurationSeconds).toBe(40);
  });

  it('runs the nginx Deployment: 3 pods Running with pod IPs that answer HTTP', async () => {
    const applied = await cluster.server.kubectl(['apply', '-f', '-'], { input: manifest });
    expect(applied.code, applied.stderr).toBe(0);
    const pods = await runningPods(nginx, 3);
    const wide = await kubectl('get', 'pods', '-o', 'wide', '-l', nginx);
    for (const p of pods) {
      const ip = p.status?.podIP ?? '';
      expect(ip).toMatch(/^10\.\d+\.\d+\.\d+$/);
      expect(wide.stdout).toMatch(
        new RegExp(
          `${p.metadata.name}\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${ip.replaceAll('.', '\\.')}\\s+${cluster.nodeName}`,
        ),
      );
      expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(p.status?.containerStatuses?.[0]?.containerID).toMatch(/^skiff-docker:\/\//);
    }
    const res = await fetch(`http://${pods[0]?.status?.podIP}:80/`);
    expect(await res.text()).toContain('Welcome to nginx!');
    const events = await kubectl(
      'get',
      'events',
      '--field-selector',
      `involvedObject.name=${pods[0]?.metadata.name}`,
    );
    expect(events.stdout).toMatch(/Pulled/);
    expect(events.stdout).toMatch(/Created/);
    expect(events.stdout).toMatch(/Started/);
  }, 120_000);

  it('restarts a container killed with docker kill, and RESTARTS grows', async () => {
    const [pod] = await runningPods(nginx, 3);
    const uid = pod?.metadata.uid ?? '';
    const [first] = (await appContainers(uid)).filter((c) => c.state === 'CONTAINER_RUNNING');
    await cluster.dockerd.docker.getContainer(first?.id ?? '').kill();
    await waitFor('the killed container to be restarted', async () => {
      const r = await kubectl('get', 'pod', pod?.metadata.name ?? '', '--no-headers');
      return /1\/1\s+Running\s+1\s/.test(r.stdout);
    });
    const p = (await podsOf(cluster.client, nginx)).find((x) => x.metadata.uid === uid);
    const cs = p?.status?.containerStatuses?.[0];
    expect(cs?.restartCount).toBe(1);
    expect(cs?.lastState?.terminated?.exitCode).toBe(137);
    expect(cs?.containerID).not.toBe(`skiff-docker://${first?.id}`);
  }, 90_000);

  it('adopts running containers after the agent is killed and started again', async () => {
    const pods = await runningPods(nginx, 3);
    const ids = new Map<string, string>();
    const restarts = new Map<string, number>();
    for (const p of pods) {
      ids.set(p.metadata.uid ?? '', p.status?.containerStatuses?.[0]?.containerID ?? '');
      restarts.set(p.metadata.uid ?? '', p.status?.containerStatuses?.[0]?.restartCount ?? -1);
    }
    await cluster.restartAgent();
    // After a few relists and a status write the containers are the same ones.
    await new Promise((r) => setTimeout(r, 3_000));
    const again = await runningPods(nginx, 3);
    for (const p of again) {
      expect(p.status?.containerStatuses?.[0]?.containerID).toBe(ids.get(p.metadata.uid ?? ''));
      expect(p.status?.containerStatuses?.[0]?.restartCount).toBe(
        restarts.get(p.metadata.uid ?? ''),
      );
      const containers = await appContainers(p.metadata.uid ?? '');
      expect(containers.filter((c) => c.state === 'CONTAINER_RUNNING')).toHaveLength(1);
    }
    // And it still runs the node: a new pod is served by the new agent.
    const made = await cluster.server.kubectl(['run', 'after-restart', '--image=nginx:1.7.9']);
    expect(made.code, made.stderr).toBe(0);
    await runningPods('run=after-restart', 1);
  }, 120_000);

  it('terminates a deleted pod gracefully: preStop, Killing, then the pod and its containers are gone', async () => {
    const pod = `apiVersion: v1
kind: Pod
metadata:
  name: graceful
  labels: { app: graceful }
spec:
  terminationGracePeriodSeconds: 20
  containers:
  - name: web
    image: nginx:1.7.9
    lifecycle:
      preStop:
        exec:
          command: ["sh", "-c", "echo prestop-ran > /proc/1/fd/1"]
`;
    expect((await cluster.server.kubectl(['apply', '-f', '-'], { input: pod })).code).toBe(0);
    const [running] = await runningPods('app=graceful', 1);
    const uid = running?.metadata.uid ?? '';
    const del = await kubectl('delete', 'pod', 'graceful', '--wait=true', '--timeout=60s');
    expect(del.code, del.stderr).toBe(0);
    expect((await podsOf(cluster.client, 'app=graceful')).length).toBe(0);
    expect(await appContainers(uid)).toEqual([]);
    const sandboxes = await cluster.cri.listPodSandbox({
      filter: { labelSelector: { 'io.kubernetes.pod.uid': uid } },
    });
    expect(sandboxes.items).toEqual([]);
    const events = await kubectl(
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=graceful,reason=Killing',
    );
    expect(events.stdout).toMatch(/Stopping container web/);
    expect(events.stdout).not.toMatch(/FailedPreStopHook/);
    // The hook wrote to the container's output, so its line is in the container's log.
    const log = readFileSync(
      join(cluster.agentRoot, 'pods', `default_graceful_${uid}`, 'web', '0.log'),
      'utf8',
    );
    expect(log).toMatch(/ stdout F prestop-ran$/m);
  }, 90_000);

  it('backs a crashing container off: CrashLoopBackOff with a growing restart count', async () => {
    const pod = `apiVersion: v1
kind: Pod
metadata:
  name: crasher
spec:
  containers:
  - name: main
    image: skiff.local/busybox:1
    command: ["sh", "-c", "exit 3"]
`;
    expect((await cluster.server.kubectl(['apply', '-f', '-'], { input: pod })).code).toBe(0);
    const status = async () =>
      (
        await cluster.client.get<Pod>(
          { group: '', version: 'v1', plural: 'pods', namespace: 'default' },
          'crasher',
        )
      ).status?.containerStatuses?.[0];
    const first = await waitFor('CrashLoopBackOff', async () => {
      const s = await status();
      return s?.state?.waiting?.reason === 'CrashLoopBackOff' ? s : undefined;
    });
    expect(first.lastState?.terminated?.exitCode).toBe(3);
    expect(first.restartCount).toBeGreaterThanOrEqual(1);
    const later = await waitFor('a later restart that backs off again', async () => {
      const s = await status();
      return s?.state?.waiting?.reason === 'CrashLoopBackOff' && s.restartCount > first.restartCount
        ? s
        : undefined;
    });
    expect(later.restartCount).toBeGreaterThan(first.restartCount);
    const get = await kubectl('get', 'pod', 'crasher', '--no-headers');
    expect(get.stdout).toMatch(/0\/1\s+CrashLoopBackOff\s+\d+/);
    const events = await kubectl(
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=crasher,reason=BackOff',
    );
    expect(events.stdout).toMatch(/Back-off restarting failed container main/);
    expect((await kubectl('delete', 'pod', 'crasher', '--wait=true', '--timeout=60s')).code).toBe(
      0,
    );
  }, 90_000);

  it('runs init containers in order, resolves env from a ConfigMap and the pod, and completes', async () => {
    const manifests = `apiVersion: v1
kind: ConfigMap
metadata:
  name: greeting
data:
  WORD: hello
---
apiVersion: v1
kind: Pod
metadata:
  name: once
spec:
  restartPolicy: Never
  initContainers:
  - name: first
    image: skiff.local/busybox:1
    command: ["sh", "-c", "exit 0"]
  containers:
  - name: main
    image: skiff.local/busybox:1
    env:
    - name: WORD
      valueFrom:
        configMapKeyRef: { name: greeting, key: WORD }
    - name: POD
      valueFrom:
        fieldRef: { fieldPath: metadata.name }
    - name: BOTH
      value: $(WORD)-$(POD)
    command: ["sh", "-c"]
    args: ["test \\"$BOTH\\" = hello-once && test \\"$(BOTH)\\" = hello-once"]
`;
    const applied = await cluster.server.kubectl(['apply', '-f', '-'], { input: manifests });
    expect(applied.code, applied.stderr).toBe(0);
    const done = await waitFor('the pod to finish', async () => {
      const p = await cluster.client.get<Pod>(
        { group: '', version: 'v1', plural: 'pods', namespace: 'default' },
        'once',
      );
      return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p : undefined;
    });
    expect(done.status?.phase).toBe('Succeeded');
    expect(done.status?.initContainerStatuses?.[0]?.state?.terminated?.reason).toBe('Completed');
    expect(done.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
    expect(done.status?.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
    const get = await kubectl('get', 'pod', 'once', '--no-headers');
    expect(get.stdout).toMatch(/0\/1\s+Completed\s+0/);
    expect((await kubectl('delete', 'pod', 'once', '--wait=true', '--timeout=60s')).code).toBe(0);
  }, 90_000);
  it('runs a pod on the handler its RuntimeClass names, and says so when no such handler exists', async () => {
    const manifests = `apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: alt
handler: alt
---
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: missing
handler: nowhere
---
apiVersion: v1
kind: Pod
metadata:
  name: on-alt
  labels: { app: on-alt }
spec:
  runtimeClassName: alt
  containers:
  - name: web
    image: nginx:1.7.9
---
apiVersion: v1
kind: Pod
metadata:
  name: on-missing
spec:
  runtimeClassName: missing
  containers:
  - name: web
    image: nginx:1.7.9
`;
    const applied = await cluster.server.kubectl(['apply', '-f', '-'], { input: manifests });
    expect(applied.code, applied.stderr).toBe(0);
    const [pod] = await runningPods('app=on-alt', 1);
    const prefix = cluster.altSubnet.split('.').slice(0, 2).join('.');
    expect(pod?.status?.podIP?.startsWith(`${prefix}.`)).toBe(true);
    const events = await waitFor('a FailedCreatePodSandBox event', async () => {
      const r = await kubectl(
        'get',
        'events',
        '--field-selector',
        'involvedObject.name=on-missing',
      );
      return r.stdout.includes('FailedCreatePodSandBox') ? r.stdout : undefined;
    });
    expect(events).toMatch(/no runtime handler "nowhere" is configured on node e2e-node/);
    const node = JSON.parse((await kubectl('get', 'node', cluster.nodeName, '-o', 'json')).stdout);
    expect(node.status.runtimeHandlers).toEqual([{ name: 'alt', features: {} }]);
  }, 90_000);
  it('wires probes: readiness gates Ready, a failed liveness probe restarts the container', async () => {
    const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: probed
  labels: { app: probed }
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: skiff.local/busybox:1
    command: ["sh", "-c", "touch /tmp/alive; exec sleep 3600"]
    readinessProbe:
      exec: { command: ["cat", "/tmp/ready"] }
      periodSeconds: 1
    livenessProbe:
      exec: { command: ["cat", "/tmp/alive"] }
      periodSeconds: 1
      failureThreshold: 2
`;
    expect((await cluster.server.kubectl(['apply', '-f', '-'], { input: manifest })).code).toBe(0);
    const get = () =>
      cluster.client.get<Pod>(
        { group: '', version: 'v1', plural: 'pods', namespace: 'default' },
        'probed',
      );
    const first = await waitFor('the container running but not ready', async () => {
      const p = await get();
      const cs = p.status?.containerStatuses?.[0];
      return cs?.state?.running && p.status?.phase === 'Running' ? p : undefined;
    });
    expect(first.status?.containerStatuses?.[0]?.ready).toBe(false);
    expect(first.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    const id = (first.status?.containerStatuses?.[0]?.containerID ?? '').replace(/^[^:]+:\/\//, '');
    await cluster.cri.execSync({ containerId: id, cmd: ['touch', '/tmp/ready'], timeout: 5 });
    await waitFor(
      'Ready',
      async () =>
        (await get()).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
    );
    await cluster.cri.execSync({ containerId: id, cmd: ['rm', '/tmp/alive'], timeout: 5 });
    const restarted = await waitFor('a restart after the liveness probe failed', async () => {
      const cs = (await get()).status?.containerStatuses?.[0];
      return cs && cs.restartCount >= 1 && cs.state?.running ? cs : undefined;
    });
    expect(restarted.containerID).not.toBe(first.status?.containerStatuses?.[0]?.containerID);
    const events = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=probed');
    expect(events.stdout).toMatch(/Unhealthy/);
    expect(events.stdout).toMatch(/Container main failed liveness probe, will be restarted/);
    expect((await kubectl('delete', 'pod', 'probed', '--wait=true', '--timeout=60s')).code).toBe(0);
  }, 90_000);
});
