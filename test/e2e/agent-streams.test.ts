// kubectl logs and exec through `skiff agent`'s own node endpoint, on the Docker adapter: the
// agent publishes its port in the Node status and the API server proxies to it.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../sdk/api/core/pod.ts';
import { type AgentCluster, startAgentCluster, waitFor } from './agent-harness.ts';
import { kubectlPath } from './kubectl-harness.ts';

let cluster: AgentCluster;

beforeAll(async () => {
  cluster = await startAgentCluster(['skiff.local/pause:1', 'skiff.local/busybox:1']);
}, 180_000);
afterAll(async () => {
  await cluster?.stop();
}, 120_000);

const kubectl = (...args: string[]) => cluster.server.kubectl(args);
const pods = { group: '', version: 'v1', plural: 'pods', namespace: 'default' };

const talker = `apiVersion: v1
kind: Pod
metadata:
  name: talker
spec:
  containers:
  - name: main
    image: skiff.local/busybox:1
    command: ['sh', '-c', 'echo hello from $(hostname); i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.5; done']
`;

async function runningPod(restarts: number): Promise<Pod> {
  return waitFor(`talker running with ${restarts} restarts`, async () => {
    const pod = await cluster.client.get<Pod>(pods, 'talker');
    const status = pod.status?.containerStatuses?.[0];
    return status?.state?.running !== undefined && status.restartCount === restarts
      ? pod
      : undefined;
  });
}

describe('logs and exec through skiff agent', () => {
  it('kubectl logs and exec reach the pod the agent runs', async () => {
    const r = await cluster.server.kubectl(['apply', '-f', '-'], { input: talker });
    expect(r.code, r.stderr).toBe(0);
    await runningPod(0);
    const logs = await waitFor('two ticks', async () => {
      const got = await kubectl('logs', 'talker');
      return got.stdout.includes('tick 2\n') ? got : undefined;
    });
    expect(logs.stdout.startsWith('hello from talker\ntick 1\n')).toBe(true);
    const hi = await kubectl('exec', 'talker', '--', 'echo', 'hi');
    expect(hi.code, hi.stderr).toBe(0);
    expect(hi.stdout).toBe('hi\n');
    expect((await kubectl('exec', 'talker', '--', 'sh', '-c', 'exit 3')).code).toBe(3);
    const cat = await cluster.server.kubectl(['exec', '-i', 'talker', '--', 'cat'], {
      input: 'x\n',
    });
    expect(cat.stdout).toBe('x\n');
  });

  it('logs -f ends with exit 0 when the container dies, and --previous reads that attempt', async () => {
    const pod = await runningPod(0);
    const id = (pod.status?.containerStatuses?.[0]?.containerID ?? '').replace(/^[a-z-]+:\/\//, '');
    const child = spawn(
      kubectlPath,
      [
        '--kubeconfig',
        cluster.server.kubeconfig,
        '--cache-dir',
        join(cluster.server.daemon.dir, 'kc'),
        'logs',
        '-f',
        'talker',
      ],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cluster.server.daemon.dir } },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const seen = (
        await waitFor('a tick in the follow', async () => /tick (\d+)\n/.exec(out) ?? undefined)
      )[1];
      await waitFor('a later tick', async () => out.includes(`tick ${Number(seen) + 1}\n`));
      await cluster.dockerd.docker.getContainer(id).kill();
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    await runningPod(1);
    const prev = await kubectl('logs', 'talker', '--previous');
    expect(prev.code, prev.stderr).toBe(0);
    // The previous attempt's log is what the follow printed before the container died.
    expect(prev.stdout.startsWith(out)).toBe(true);
    expect(out.startsWith('hello from talker\n')).toBe(true);
    const current = await waitFor('the new attempt to log', async () => {
      const got = await kubectl('logs', 'talker');
      return got.stdout.includes('tick 1\n') ? got : undefined;
    });
    expect(current.stdout.startsWith('hello from talker\ntick 1\n')).toBe(true);
  });
});
