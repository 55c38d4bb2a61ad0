import type { Logger } from './plugin.ts';
import { token } from './plugin.ts';

/**
 * Core service tokens. Core registers these in the root container before any plugin loads, so a
 * plugin resolves them from its own child container (`ctx.container.resolve(loggerToken)`) or
 * names them in a constructor (`@inject(clockToken)`). A plugin may list a token id in
 * `requires`; the loader refuses it at start-up when core has not registered that service.
 * Later core pieces (store client, API client) add their tokens here.
 */

/** Clock is the time source; tests substitute a fixed one. */
export interface Clock {
  now(): Date;
}

/** ClusterSettings is the cluster config file as core read it, minus the plugin list. */
export interface ClusterSettings {
  readonly server?: Readonly<Record<string, unknown>>;
  readonly store?: Readonly<Record<string, unknown>>;
  readonly agent?: Readonly<Record<string, unknown>>;
}

/** loggerToken resolves the structured logger; inside a plugin it is scoped to that plugin. */
export const loggerToken = token<Logger>('core.logger');

/** clockToken resolves the clock. */
export const clockToken = token<Clock>('core.clock');

/** clusterSettingsToken resolves the server, store and agent settings of the cluster config. */
export const clusterSettingsToken = token<ClusterSettings>('core.clusterSettings');

/** pluginConfigToken resolves, inside a plugin's container, that plugin's own config section. */
export const pluginConfigToken = token<Readonly<Record<string, unknown>>>('plugin.config');
