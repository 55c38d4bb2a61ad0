import { definePlugin } from '../../sdk/plugin.ts';
import { runtimeExtension } from '../../sdk/runtime/adapter.ts';
import { importOnlyOption } from '../../sdk/runtime/image-import.ts';
import { MicroVmRuntime, microVmOptions } from './adapter.ts';

/** runtimeMicroVm is the built-in plugin that provides the micro-VM runtime adapter. */
export default definePlugin({
  id: 'runtime-microvm',
  version: '0.1.0',
  sdk: '^1.0.0',
  description: 'Container runtime whose pod sandboxes are qemu micro-VMs with a guest agent',
  provides: ['runtime/microvm'],
  register(ctx) {
    ctx.provide(runtimeExtension, 'microvm', ({ config, logger }) =>
      MicroVmRuntime.start(
        microVmOptions({ ...ctx.config, ...config }),
        logger,
        config[importOnlyOption] === true,
      ),
    );
  },
});
