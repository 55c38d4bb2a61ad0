import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { connectRuntime } from '../../../sdk/runtime/client.ts';
import { buildImages } from '../../fixtures/images/index.ts';
import { pushImage, type Registry, startRegistry } from '../../harness/registry.ts';
import { containerCases } from './cases-containers.ts';
import { execCases } from './cases-exec.ts';
import { imageCases } from './cases-images.ts';
import { sandboxCases } from './cases-sandboxes.ts';
import { securityCases } from './cases-security.ts';
import {
  conformanceNamespace,
  type RuntimeUnderTest,
  type SuiteContext,
  type SuiteEnvironment,
  type SuiteOptions,
} from './support.ts';

export type { RuntimeUnderTest, SuiteEnvironment, SuiteOptions } from './support.ts';

/** conformanceImage is the busybox fixture every container of the suite runs. */
export const conformanceImage = 'skiff.local/busybox:1';
/** conformancePauseImage is the fixture pause image, for runtimes that need a sandbox image. */
export const conformancePauseImage = 'skiff.local/pause:1';

/**
 * runtimeConformance defines the runtime conformance suite against one runtime.v1 endpoint.
 * It builds the fixture images, starts a plain-HTTP registry with one image to pull, calls
 * setup (which starts the runtime and returns its endpoint), imports the busybox and pause
 * images, and runs every case over a RuntimeClient. Every sandbox it makes is removed after.
 */
export function runtimeConformance(
  name: string,
  setup: (env: SuiteEnvironment) => Promise<RuntimeUnderTest>,
  options: SuiteOptions = {},
): void {
  const ctx = { options } as SuiteContext;
  let runtime: RuntimeUnderTest | undefined;
  let registry: Registry | undefined;

  describe(`runtime conformance: ${name}`, () => {
    beforeAll(async () => {
      ctx.tmp = mkdtempSync(join(tmpdir(), 'skiff-runtime-conformance-'));
      const archive = await buildImages([conformanceImage, conformancePauseImage]);
      registry = await startRegistry();
      ctx.registry = registry.address;
      ctx.pulled = `${registry.address}/conformance/busybox:pulled`;
      await pushImage(archive.path, ctx.pulled, conformanceImage);
      runtime = await setup({ registry: registry.address });
      await runtime.importImage(archive.path);
      ctx.busybox = conformanceImage;
      ctx.client = connectRuntime(runtime.endpoint, { timeoutMs: 60_000 });
      await ctx.client.waitForReady(30_000);
    });

    afterAll(async () => {
      try {
        if (ctx.client) {
          // Remove what a failed case left behind, then let the runtime clean up the rest.
          const { items } = await ctx.client.listPodSandbox({}).catch(() => ({ items: [] }));
          for (const s of items.filter((i) => i.metadata?.namespace === conformanceNamespace)) {
            await ctx.client.stopPodSandbox({ podSandboxId: s.id }).catch(() => {});
            await ctx.client.removePodSandbox({ podSandboxId: s.id }).catch(() => {});
          }
          ctx.client.close();
        }
      } finally {
        await runtime?.teardown();
        await registry?.stop();
        if (ctx.tmp) rmSync(ctx.tmp, { recursive: true, force: true });
      }
    });

    sandboxCases(ctx);
    containerCases(ctx);
    execCases(ctx);
    securityCases(ctx);
    imageCases(ctx);
  });
}
