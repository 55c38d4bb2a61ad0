import { definePlugin } from '../../sdk/plugin.ts';
import { runtimeExtension } from '../../sdk/runtime/adapter.ts';
import { importOnlyOption } from '../../sdk/runtime/image-import.ts';
import { ContainerdRuntime, containerdOptions } from './adapter.ts';

/** runtimeContainerd is the built-in plugin that provides the containerd runtime adapter. */
export default definePlugin({
  id: 'runtime-containerd',
  version: '0.1.0',
  sdk: '^1.0.0',
  description: "Container runtime over containerd's own gRPC services, with CNI pod networking",
  provides: ['runtime/containerd'],
  register(ctx) {
    ctx.provide(runtimeExtension, 'containerd', ({ config, logger }) =>
      ContainerdRuntime.start(
        containerdOptions({ ...ctx.config, ...config }),
        logger,
        config[importOnlyOption] === true,
      ),
    );
  },
});
