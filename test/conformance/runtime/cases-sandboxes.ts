import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { grpcCode } from '../../../sdk/errors.ts';
import { badInputCodes, grpcFailure, type SuiteContext, sandboxConfig } from './support.ts';

/** sandboxCases: version, status, and the pod sandbox lifecycle with listing filters. */
export function sandboxCases(ctx: SuiteContext): void {
  describe('version and status', () => {
    it('reports protocol version v1 and a runtime name', async () => {
      const v = await ctx.client.version({ version: 'v1' });
      expect(v.runtimeApiVersion).toBe('v1');
      expect(v.runtimeName).not.toBe('');
      expect(v.runtimeVersion).not.toBe('');
    });

    it('reports RuntimeReady and NetworkReady as true', async () => {
      const { status } = await ctx.client.status({});
      const conditions = Object.fromEntries(
        (status?.conditions ?? []).map((c) => [c.type, c.status]),
      );
      expect(conditions).toMatchObject({ RuntimeReady: true, NetworkReady: true });
    });
  });

  describe('capabilities', () => {
    it('are declared by skiff adapters (not by the reference), and what is not declared answers UNIMPLEMENTED', async () => {
      const caps = await ctx.client.capabilities();
      if (!ctx.options.skiffAdapter) {
        expect(caps).toBeUndefined();
        return;
      }
      expect(caps).toBeDefined();
      expect(['container', 'vm']).toContain(caps?.isolation);
      const probes: [boolean | undefined, () => Promise<unknown>][] = [
        [
          caps?.exec,
          () => ctx.client.execSync({ containerId: 'no-such-container', cmd: ['true'] }),
        ],
        [
          caps?.streamingExec,
          () => ctx.client.exec({ containerId: 'no-such-container', cmd: ['true'], stdout: true }),
        ],
        [caps?.attach, () => ctx.client.attach({ containerId: 'no-such-container', stdout: true })],
        [
          caps?.portForward,
          () => ctx.client.portForward({ podSandboxId: 'no-such-sandbox', port: [80] }),
        ],
        [caps?.stats, () => ctx.client.containerStats({ containerId: 'no-such-container' })],
      ];
      for (const [declared, call] of probes) {
        const code = await call().then(
          () => grpcCode.OK,
          (err: { grpcCode?: number }) => err.grpcCode,
        );
        if (declared) expect(code).not.toBe(grpcCode.UNIMPLEMENTED);
        else expect(code).toBe(grpcCode.UNIMPLEMENTED);
      }
    });
  });

  describe('pod sandboxes', () => {
    it('runs, reports, lists, stops and removes a sandbox, each stop and remove idempotent', async () => {
      const config = sandboxConfig(ctx, 'lifecycle');
      const { podSandboxId: id } = await ctx.client.runPodSandbox({ config });
      expect(id).not.toBe('');

      const { status } = await ctx.client.podSandboxStatus({ podSandboxId: id });
      expect(status).toMatchObject({
        id,
        state: 'SANDBOX_READY',
        metadata: config.metadata,
        labels: config.labels,
        annotations: config.annotations,
      });
      expect(BigInt(status!.createdAt)).toBeGreaterThan(0n);
      if (status?.network?.ip) expect(isIP(status.network.ip)).not.toBe(0);

      const listed = await ctx.client.listPodSandbox({ filter: { id } });
      expect(listed.items.map((s) => s.id)).toEqual([id]);
      expect(listed.items[0]).toMatchObject({ state: 'SANDBOX_READY', metadata: config.metadata });

      await ctx.client.stopPodSandbox({ podSandboxId: id });
      expect((await ctx.client.podSandboxStatus({ podSandboxId: id })).status?.state).toBe(
        'SANDBOX_NOTREADY',
      );
      await ctx.client.stopPodSandbox({ podSandboxId: id });

      await ctx.client.removePodSandbox({ podSandboxId: id });
      const gone = await grpcFailure(ctx.client.podSandboxStatus({ podSandboxId: id }));
      expect(gone.grpcCode).toBe(grpcCode.NOT_FOUND);
      expect((await ctx.client.listPodSandbox({ filter: { id } })).items).toEqual([]);
      await ctx.client.removePodSandbox({ podSandboxId: id });
    });

    it('filters the sandbox list by id, state and labels', async () => {
      // group is unique to this run, so sandboxes of other runs or cases never match.
      const group = `g${process.pid}${Date.now()}`;
      const a = await ctx.client.runPodSandbox({
        config: sandboxConfig(ctx, 'filter', { labels: { group, pick: 'a' } }),
      });
      const b = await ctx.client.runPodSandbox({
        config: sandboxConfig(ctx, 'filter', { labels: { group, pick: 'b' } }),
      });
      try {
        await ctx.client.stopPodSandbox({ podSandboxId: b.podSandboxId });
        const ids = async (filter: object) =>
          (await ctx.client.listPodSandbox({ filter })).items.map((s) => s.id).sort();

        expect(await ids({ labelSelector: { group, pick: 'a' } })).toEqual([a.podSandboxId]);
        expect(await ids({ labelSelector: { group, pick: 'b' } })).toEqual([b.podSandboxId]);
        expect(await ids({ labelSelector: { group } })).toEqual(
          [a.podSandboxId, b.podSandboxId].sort(),
        );
        expect(await ids({ labelSelector: { group, pick: 'c' } })).toEqual([]);
        expect(await ids({ id: b.podSandboxId, labelSelector: { pick: 'a' } })).toEqual([]);
        const ready = await ids({
          state: { state: 'SANDBOX_READY' },
          labelSelector: { group },
        });
        expect(ready).toEqual([a.podSandboxId]);
        const notReady = await ids({
          state: { state: 'SANDBOX_NOTREADY' },
          labelSelector: { group },
        });
        expect(notReady).toEqual([b.podSandboxId]);
        const all = await ids({});
        expect(all).toEqual(expect.arrayContaining([a.podSandboxId, b.podSandboxId].sort()));
      } finally {
        for (const s of [a, b]) {
          await ctx.client.stopPodSandbox({ podSandboxId: s.podSandboxId });
          await ctx.client.removePodSandbox({ podSandboxId: s.podSandboxId });
        }
      }
    });

    it('answers NOT_FOUND for the status or stop of an unknown sandbox and removes an unknown one without error', async () => {
      const err = await grpcFailure(
        ctx.client.podSandboxStatus({ podSandboxId: 'no-such-sandbox' }),
      );
      expect(err.grpcCode).toBe(grpcCode.NOT_FOUND);
      const stop = await grpcFailure(
        ctx.client.stopPodSandbox({ podSandboxId: 'no-such-sandbox' }),
      );
      expect(stop.grpcCode).toBe(grpcCode.NOT_FOUND);
      await ctx.client.removePodSandbox({ podSandboxId: 'no-such-sandbox' });
    });

    it('refuses a sandbox config without metadata, or reusing a live name, and creates nothing', async () => {
      const before = (await ctx.client.listPodSandbox({})).items.map((s) => s.id).sort();
      const noMetadata = await grpcFailure(
        ctx.client.runPodSandbox({ config: { ...sandboxConfig(ctx, 'nometa'), metadata: null } }),
      );
      expect(badInputCodes(ctx, grpcCode.INVALID_ARGUMENT)).toContain(noMetadata.grpcCode);
      const config = sandboxConfig(ctx, 'twice');
      const { podSandboxId } = await ctx.client.runPodSandbox({ config });
      try {
        const again = await grpcFailure(ctx.client.runPodSandbox({ config }));
        expect(badInputCodes(ctx, grpcCode.ALREADY_EXISTS)).toContain(again.grpcCode);
        const after = (await ctx.client.listPodSandbox({})).items.map((s) => s.id).sort();
        expect(after).toEqual([...before, podSandboxId].sort());
      } finally {
        await ctx.client.stopPodSandbox({ podSandboxId });
        await ctx.client.removePodSandbox({ podSandboxId });
      }
    });
  });
}
