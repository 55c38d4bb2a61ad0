// An example third-party plugin shipped as a package directory; it imports only the sdk.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Clock,
  clockToken,
  definePlugin,
  type MountedVolume,
  type VolumeRequest,
  type VolumeType,
  volumeTypeExtension,
} from '../../../sdk/index.ts';

/** scratchVolume makes an empty directory per pod volume and stamps when it was made. */
export function scratchVolume(clock: Clock): VolumeType {
  return {
    sourceField: 'acmeScratch',
    capabilities: { persistent: false, readOnlyMount: false, sizeLimit: false },
    async setUp(req: VolumeRequest): Promise<MountedVolume> {
      const hostPath = join(req.dir, 'data');
      await mkdir(hostPath, { recursive: true });
      await writeFile(join(req.dir, 'created-at'), clock.now().toISOString());
      return { hostPath, readOnly: false };
    },
    async tearDown(req: VolumeRequest): Promise<void> {
      await rm(req.dir, { recursive: true, force: true });
    },
  } satisfies VolumeType;
}

export default definePlugin({
  id: 'acme-volume',
  version: '0.3.0',
  sdk: '^1.0.0',
  provides: ['volume-type/acme-scratch'],
  requires: ['core.clock'],
  register(ctx) {
    ctx.provide(
      volumeTypeExtension,
      'acme-scratch',
      scratchVolume(ctx.container.resolve(clockToken)),
    );
  },
});
