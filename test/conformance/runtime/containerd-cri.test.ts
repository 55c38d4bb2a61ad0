import { type Containerd, startContainerd } from '../../harness/containerd.ts';
import { conformancePauseImage, runtimeConformance } from './suite.ts';

// The reference: containerd's own CRI plugin serves runtime.v1 on its grpc socket. A case
// that fails here is a wrong case, not a runtime bug.
runtimeConformance('containerd CRI (reference)', async ({ registry }) => {
  const containerd: Containerd = await startContainerd({
    sandboxImage: conformancePauseImage,
    plainHttpRegistries: [registry],
  });
  return {
    endpoint: containerd.endpoint,
    importImage: async (tarPath) => {
      await containerd.importImages(tarPath);
    },
    teardown: () => containerd.stop(),
  };
});
