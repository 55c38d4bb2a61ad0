import { container } from 'tsyringe';
import { clusterSettingsToken } from '../../../sdk/tokens.ts';
import { type ClusterConfig, loadClusterConfig } from '../../config/cluster-config.ts';
import { type LoadedPlugins, loadPlugins } from '../../plugins/loader.ts';
import { type LogLevel, streamLogger } from '../../plugins/logger.ts';

/** loadConfiguredPlugins reads the cluster config (or the default) and loads its plugins. */
export async function loadConfiguredPlugins(
  file: string | undefined,
  level: LogLevel,
): Promise<{ config: ClusterConfig; loaded: LoadedPlugins }> {
  const config = await loadClusterConfig(file);
  const root = container.createChildContainer();
  root.register(clusterSettingsToken, {
    useValue: { server: config.server, store: config.store, agent: config.agent },
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
