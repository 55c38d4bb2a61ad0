import { describe, expect, it } from 'vitest';
import { grpcCode } from '../../../sdk/errors.ts';
import { badInputCodes, grpcFailure, type SuiteContext } from './support.ts';

const named = (tags: string[], ref: string) => tags.some((t) => t === ref || t.endsWith(`/${ref}`));

/** imageCases: list, status, pull from a registry, remove, and bad image references. */
export function imageCases(ctx: SuiteContext): void {
  describe('images', () => {
    it('lists the local images and reports one by reference', async () => {
      const { images } = await ctx.client.listImages({});
      const busybox = images.find((i) => named(i.repoTags, ctx.busybox));
      expect(
        busybox,
        `no ${ctx.busybox} in ${JSON.stringify(images.map((i) => i.repoTags))}`,
      ).toBeDefined();
      expect(busybox?.id).not.toBe('');
      expect(BigInt(busybox!.size)).toBeGreaterThan(0n);

      const { image } = await ctx.client.imageStatus({ image: { image: ctx.busybox } });
      expect(image?.id).toBe(busybox?.id);
      // The reference ignores ListImages' filter, so a filtered list only has to include the image.
      const filtered = await ctx.client.listImages({ filter: { image: { image: ctx.busybox } } });
      expect(filtered.images.map((i) => i.id)).toContain(busybox?.id);
    });

    it('answers ImageStatus of an absent image with no image and no error', async () => {
      const r = await ctx.client.imageStatus({ image: { image: 'skiff.local/absent:1' } });
      expect(r.image).toBeNull();
    });

    it('pulls an image from a registry, then removes it, removing again without error', async () => {
      expect((await ctx.client.imageStatus({ image: { image: ctx.pulled } })).image).toBeNull();
      const { imageRef } = await ctx.client.pullImage({ image: { image: ctx.pulled } });
      expect(imageRef).not.toBe('');
      const { image } = await ctx.client.imageStatus({ image: { image: ctx.pulled } });
      expect(image?.repoTags).toContain(ctx.pulled);
      expect(image?.repoDigests.some((d) => d.includes('@sha256:'))).toBe(true);
      await ctx.client.pullImage({ image: { image: ctx.pulled } });

      await ctx.client.removeImage({ image: { image: ctx.pulled } });
      expect((await ctx.client.imageStatus({ image: { image: ctx.pulled } })).image).toBeNull();
      await ctx.client.removeImage({ image: { image: ctx.pulled } });
    });

    it('refuses to pull an empty or unknown image and adds nothing', async () => {
      const before = (await ctx.client.listImages({})).images.map((i) => i.id).sort();
      const empty = await grpcFailure(ctx.client.pullImage({ image: { image: '' } }));
      // The reference answers UNKNOWN (its reference parser's error); skiff's adapters answer
      // INVALID_ARGUMENT. Either way the pull fails and adds nothing.
      expect(badInputCodes(ctx, grpcCode.INVALID_ARGUMENT)).toContain(empty.grpcCode);
      const missing = await grpcFailure(
        ctx.client.pullImage({ image: { image: `${ctx.registry}/conformance/absent:1` } }),
      );
      expect(missing.grpcCode).toBe(grpcCode.NOT_FOUND);
      const after = (await ctx.client.listImages({})).images.map((i) => i.id).sort();
      expect(after).toEqual(before);
    });
  });
}
