// Probes through `skiff agent` on the Docker adapter, seen with the real kubectl: a failing
// liveness probe restarts the container (RESTARTS grows, Unhealthy events), and a failing
// readiness probe clears the container's and the pod's Ready.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../sdk/api/core/pod.ts';
import { type AgentCluster, startAgentCluster, waitFor } from './agent-harness.ts';

let cluster: AgentCluster;

beforeAll(async () => {
  cluster = await startAgentCluster(['skiff.local/pause:1', 'skiff.local/busybox:1']);
}, 180_000);
afterAll(async () => {
  await cluster?.stop();
}, 120_000);

const kubectl = (...args: string[]) => cluster.server.kubectl(args);
const pods = { group: '', version: 'v1', plural: 'pods', namespace: 'default' };
const getPod = (name: string) => cluster.client.get<Pod>(pods, name);

async function apply(manifest: string): Promise<void> {
  const r = await cluster.server.kubectl(['apply', '-f', '-'], { input: manifest });
  expect(r.code, r.stderr).toBe(0);
}

/** waitForPod polls the pod until test passes; a timeout shows the pod and the agent's log. */
async function waitForPod(name: string, what: string, test: (pod: Pod) => boolean): Promise<Pod> {
  let last: Pod | undefined;
  try {
    return await waitFor(`${name}: ${what}`, async () => {
      last = await getPod(name);
      return test(last) ? last : undefined;
    });
  } catch (err) {
    throw new Error(
      `${String(err)}\n${JSON.stringify(last?.status)}\nagent log:\n${cluster.agent().log().slice(-3000)}`,
    );
  }
}

/** execIn runs a command in the pod's first container through the runtime (as `kubectl exec` would). */
async function execIn(pod: Pod, cmd: string[]): Promise<number> {
  const id = (pod.status?.containerStatuses?.[0]?.containerID ?? '').replace(/^[a-z-]+:\/\//, '');
  const r = await cluster.cri.execSync({ containerId: id, cmd, timeout: 10 });
  return r.exitCode;
}

const readyCondition = (pod: Pod) => pod.status?.conditions?.find((c) => c.type === 'Ready');

async function events(name: string, reason: string): Promise<string> {
  const r = await kubectl(
    'get',
    'events',
    '--field-selector',
    `involvedObject.name=${name},reason=${reason}`,
  );
  return r.stdout;
}

describe('probes through skiff agent', () => {
  it('a failing liveness probe restarts the container', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata:
  name: liveness-exec
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: skiff.local/busybox:1
    command: ["sh", "-c", "touch /tmp/healthy; exec sleep 3600"]
    livenessProbe:
      exec:
        command: ["cat", "/tmp/healthy"]
      periodSeconds: 1
      failureThreshold: 2
`);
    const healthy = await waitForPod(
      'liveness-exec',
      'running and ready',
      (p) => p.status?.containerStatuses?.[0]?.ready === true,
    );
    expect(healthy.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    expect(await execIn(healthy, ['rm', '/tmp/healthy'])).toBe(0);
    const restarted = await waitForPod('liveness-exec', 'restarted and running again', (p) => {
      const s = p.status?.containerStatuses?.[0];
      return (s?.restartCount ?? 0) >= 1 && s?.state?.running !== undefined && s.ready === true;
    });
    const s = restarted.status?.containerStatuses?.[0];
    expect(s?.containerID).not.toBe(healthy.status?.containerStatuses?.[0]?.containerID);
    expect(s?.lastState?.terminated).toBeDefined();
    expect(await events('liveness-exec', 'Unhealthy')).toMatch(
      /Liveness probe failed: cat: can't open '\/tmp\/healthy': No such file or directory/,
    );
    const get = await kubectl('get', 'pod', 'liveness-exec', '--no-headers');
    expect(get.stdout).toMatch(/1\/1\s+Running\s+[1-9]/);
    expect(
      (await kubectl('delete', 'pod', 'liveness-exec', '--wait=true', '--timeout=60s')).code,
    ).toBe(0);
  }, 120_000);

  it('a failing readiness probe clears Ready, and a passing one sets it again', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata:
  name: readiness-http
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: skiff.local/busybox:1
    command: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && httpd -p 8080 -h /www && exec sleep 3600"]
    ports:
    - name: http
      containerPort: 8080
    readinessProbe:
      httpGet:
        path: /
        port: http
      periodSeconds: 1
      failureThreshold: 1
`);
    const ready = await waitForPod(
      'readiness-http',
      'Ready',
      (p) => readyCondition(p)?.status === 'True',
    );
    expect(ready.status?.containerStatuses?.[0]?.ready).toBe(true);
    expect((await kubectl('get', 'pod', 'readiness-http', '--no-headers')).stdout).toMatch(
      /1\/1\s+Running/,
    );
    expect(await execIn(ready, ['killall', 'httpd'])).toBe(0);
    const unready = await waitForPod(
      'readiness-http',
      'not Ready',
      (p) => readyCondition(p)?.status === 'False',
    );
    expect(unready.status?.containerStatuses?.[0]?.ready).toBe(false);
    // Readiness never restarts a container.
    expect(unready.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    expect((await kubectl('get', 'pod', 'readiness-http', '--no-headers')).stdout).toMatch(
      /0\/1\s+Running/,
    );
    const ip = ready.status?.podIP ?? '';
    expect(await events('readiness-http', 'Unhealthy')).toContain(
      `Readiness probe failed: Get "http://${ip}:8080/": dial tcp ${ip}:8080: connect: connection refused`,
    );
    expect(await execIn(unready, ['httpd', '-p', '8080', '-h', '/www'])).toBe(0);
    await waitForPod('readiness-http', 'Ready again', (p) => readyCondition(p)?.status === 'True');
    expect(
      (await kubectl('delete', 'pod', 'readiness-http', '--wait=true', '--timeout=60s')).code,
    ).toBe(0);
  }, 120_000);
});
