import { container } from 'tsyringe';
import { KubeClient } from '../../../sdk/client/client.ts';
import { apiClientToken } from '../../../sdk/client/client-token.ts';
import { clusterSettingsToken } from '../../../sdk/tokens.ts';
import { type ClusterConfig, loadClusterConfig } from '../../config/cluster-config.ts';
import { type LoadedPlugins, loadPlugins } from '../../plugins/loader.ts';
import { type LogLevel, streamLogger } from '../../plugins/logger.ts';

/**
 * loadConfiguredPlugins reads the cluster config (or the default) and loads its plugins. The
 * core services plugins may require are registered first: the API client is the cluster's
 * when one is given; without one (`skiff plugins list|check`) plugins get a client for the
 * default local server, which they may hold but that loading never calls.
 */
export async function loadConfiguredPlugins(
  file: string | undefined,
  level: LogLevel,
  apiClient?: KubeClient,
): Promise<{ config: ClusterConfig; loaded: LoadedPlugins }> {
  const config = await loadClusterConfig(file);
  const root = container.createChildContainer();
  root.register(clusterSettingsToken, {
    useValue: { server: config.server, store: config.store, agent: config.agent },
  });
  root.register(apiClientToken, {
    useValue: apiClient ?? KubeClient.fromToken('https://127.0.0.1:6443', ''),
  });
  const loaded = await loadPlugins({
    sources: config.plugins,
    baseDir: config.baseDir,
    container: root,
    logger: streamLogger({ level }),
  });
  return { config, loaded };
}

/** describeConfig says which config the plugins came from, for the first line of output. */
export function describeConfig(config: ClusterConfig): string {
  return config.file ? `cluster config ${config.file}` : 'the default cluster config';
}

/** plural says how many plugins: `1 plugin`, `2 plugins`. */
export function plural(n: number): string {
  return `${n} plugin${n === 1 ? '' : 's'}`;
}
