import { definePlugin } from '../../sdk/plugin.ts';
import { runtimeExtension } from '../../sdk/runtime/adapter.ts';
import { DockerRuntime, dockerOptions } from './adapter.ts';

/** runtimeDocker is the built-in plugin that provides the Docker runtime adapter. */
export default definePlugin({
  id: 'runtime-docker',
  version: '0.1.0',
  sdk: '^1.0.0',
  description: 'Container runtime over the Docker Engine API: pod sandboxes as infra containers',
  provides: ['runtime/docker'],
  register(ctx) {
    ctx.provide(runtimeExtension, 'docker', ({ config, logger }) =>
      DockerRuntime.start(dockerOptions({ ...ctx.config, ...config }), logger),
    );
  },
});
