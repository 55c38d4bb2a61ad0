import type { RpcResponse } from '../../sdk/runtime/rpcs.ts';
import { isNotFound } from './client.ts';
import { snapshotter } from './content.ts';
import { nowNanos, type RuntimeContext } from './context.ts';

/** snapshotterRoot asks containerd where its snapshotter keeps its data ('' when it will not say). */
export async function snapshotterRoot(ctx: RuntimeContext): Promise<string> {
  const { plugins } = await ctx.client.call<{
    plugins: { exports: Record<string, string> }[];
  }>('introspection', 'Plugins', {
    filters: [`type==io.containerd.snapshotter.v1,id==${snapshotter}`],
  });
  return plugins[0]?.exports.root ?? '';
}

/**
 * imageFsInfo answers ImageFsInfo from the snapshotter: the image filesystem counts the
 * committed (image layer) snapshots, the container filesystem the active (writable) ones,
 * both on the snapshotter's root as containerd reports it.
 */
export async function imageFsInfo(ctx: RuntimeContext): Promise<RpcResponse<'ImageFsInfo'>> {
  const root = await snapshotterRoot(ctx);
  const infos = (
    await ctx.client.collect<{ info: { name: string; kind: string }[] }>('snapshots', 'List', {
      snapshotter,
    })
  ).flatMap((m) => m.info);
  const totals = { image: { size: 0, inodes: 0 }, container: { size: 0, inodes: 0 } };
  for (const info of infos) {
    const usage = await ctx.client
      .call<{ size: number; inodes: number }>('snapshots', 'Usage', { snapshotter, key: info.name })
      .catch((err: unknown) => {
        // A snapshot removed between List and Usage no longer uses anything.
        if (isNotFound(err)) return { size: 0, inodes: 0 };
        throw err;
      });
    const t = info.kind === 'COMMITTED' ? totals.image : totals.container;
    t.size += usage.size;
    t.inodes += usage.inodes;
  }
  const timestamp = nowNanos();
  const usage = (t: { size: number; inodes: number }) => ({
    timestamp,
    fsId: { mountpoint: root },
    usedBytes: { value: String(t.size) },
    inodesUsed: { value: String(t.inodes) },
  });
  return {
    imageFilesystems: [usage(totals.image)],
    containerFilesystems: [usage(totals.container)],
  };
}
