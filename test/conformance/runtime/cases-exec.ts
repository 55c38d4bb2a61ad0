import { describe, expect, it } from 'vitest';
import { grpcCode } from '../../../sdk/errors.ts';
import { execOverWebSocket } from './stream-client.ts';
import {
  caseUnlessRuledOut,
  containerConfig,
  grpcFailure,
  type SuiteContext,
  waitContainerState,
  withPod,
} from './support.ts';

/** execCases: ExecSync, streaming Exec and stats of a running container. */
export function execCases(ctx: SuiteContext): void {
  describe('exec and stats', () => {
    it('ExecSync returns stdout, stderr and the exit code, and fails past its timeout', async () => {
      await withPod(ctx, 'execsync', async (pod) => {
        const id = await pod.start(containerConfig(ctx, 'target', ['sleep', '600']));
        await waitContainerState(ctx.client, id, 'CONTAINER_RUNNING');
        const r = await ctx.client.execSync({
          containerId: id,
          cmd: ['sh', '-c', 'echo out-text; echo err-text >&2; exit 4'],
          timeout: 10,
        });
        expect(r.stdout.toString()).toBe('out-text\n');
        expect(r.stderr.toString()).toBe('err-text\n');
        expect(r.exitCode).toBe(4);
        const slow = await grpcFailure(
          ctx.client.execSync({ containerId: id, cmd: ['sleep', '30'], timeout: 1 }),
        );
        expect(slow.grpcCode).toBe(grpcCode.DEADLINE_EXCEEDED);
        const unknown = await grpcFailure(
          ctx.client.execSync({ containerId: 'no-such-container', cmd: ['true'], timeout: 5 }),
        );
        expect(unknown.grpcCode).toBe(grpcCode.NOT_FOUND);
      });
    });

    it('Exec answers a streaming URL that runs the command over WebSocket (v4.channel.k8s.io)', async () => {
      await withPod(ctx, 'exec', async (pod) => {
        const id = await pod.start(containerConfig(ctx, 'target', ['sleep', '600']));
        await waitContainerState(ctx.client, id, 'CONTAINER_RUNNING');
        const ok = await ctx.client.exec({
          containerId: id,
          cmd: ['sh', '-c', 'echo streamed-out; echo streamed-err >&2'],
          stdout: true,
          stderr: true,
        });
        expect(ok.url).toMatch(/^https?:\/\//);
        const result = await execOverWebSocket(ok.url);
        expect(result.stdout).toBe('streamed-out\n');
        expect(result.stderr).toBe('streamed-err\n');
        expect(result.status?.status).toBe('Success');

        const failing = await ctx.client.exec({
          containerId: id,
          cmd: ['sh', '-c', 'exit 5'],
          stdout: true,
          stderr: true,
        });
        const failed = await execOverWebSocket(failing.url);
        expect(failed.status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode' });
        expect(failed.status?.details?.causes).toEqual(
          expect.arrayContaining([expect.objectContaining({ reason: 'ExitCode', message: '5' })]),
        );
      });
    });

    caseUnlessRuledOut(
      ctx,
      'container-stats',
      'reports the stats of a running container',
      async () => {
        await withPod(ctx, 'stats', async (pod) => {
          const id = await pod.start(containerConfig(ctx, 'busy', ['sleep', '600']));
          await waitContainerState(ctx.client, id, 'CONTAINER_RUNNING');
          const { stats } = await ctx.client.containerStats({ containerId: id });
          expect(stats?.attributes?.id).toBe(id);
          expect(stats?.attributes?.metadata?.name).toBe('busy');
          expect(stats?.cpu).not.toBeNull();
          expect(stats?.memory?.workingSetBytes).not.toBeNull();
          const list = await ctx.client.listContainerStats({ filter: { podSandboxId: pod.id } });
          expect(list.stats.map((s) => s.attributes?.id)).toEqual([id]);
        });
      },
    );
  });
}
