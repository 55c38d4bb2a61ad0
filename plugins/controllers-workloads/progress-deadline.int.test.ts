// The Deployment progress deadline against a real `skiff server` process: no node runs the
// pods, so they never become ready and the rollout stops progressing.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { api, KubeClient } from '../../sdk/index.ts';
import { type ApiServer, startApiServer } from '../../test/controller-kit/api-server.ts';
import { runWorkloadControllers } from './index.ts';

const deployments = { group: 'apps', version: 'v1', plural: 'deployments', namespace: 'default' };
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

const deployment = (name: string, extra: Partial<NonNullable<api.Deployment['spec']>>) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas: 2,
    progressDeadlineSeconds: 2,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'main', image: 'nginx:1' }] },
    },
    ...extra,
  },
});

describe('Deployment progress deadline on a real skiff server', () => {
  let server: ApiServer;
  let client: KubeClient;
  let controllers: { stop(): Promise<void> };

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

  const progressing = async (name: string) =>
    (await client.get<api.Deployment>(deployments, name)).status?.conditions?.find(
      (c) => c.type === 'Progressing',
    );

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

  it('a rollout that makes no progress within the deadline is ProgressDeadlineExceeded, and kubectl rollout status says so', async () => {
    await client.create(deployments, deployment('stuck', {}));
    const out = await kubectl('rollout', 'status', 'deployment/stuck', '--timeout=60s');
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain('error: deployment "stuck" exceeded its progress deadline');
    const cond = await progressing('stuck');
    expect(cond).toMatchObject({
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
    });
    expect(cond?.message).toMatch(/^ReplicaSet "stuck-[a-z0-9]+" has timed out progressing\.$/);
  });

  it('a paused deployment does not time out; once resumed, it does', async () => {
    await client.create(
      deployments,
      deployment('held', { paused: true, progressDeadlineSeconds: 1 }),
    );
    await until(
      'the paused condition',
      async () => (await progressing('held'))?.reason === 'DeploymentPaused',
    );
    // Well past the deadline, it is still only paused.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await progressing('held')).toMatchObject({
      status: 'Unknown',
      reason: 'DeploymentPaused',
      message: 'Deployment is paused',
    });
    const resumed = await kubectl('rollout', 'resume', 'deployment/held');
    expect(resumed.code, resumed.stderr).toBe(0);
    await until('the resumed rollout to time out', async () => {
      const c = await progressing('held');
      return c?.reason === 'ProgressDeadlineExceeded' && c.status === 'False';
    });
  });
});
