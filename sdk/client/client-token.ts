import { token } from '../plugin.ts';
import type { KubeClient } from './client.ts';

/**
 * apiClientToken resolves a KubeClient bound to the cluster's API server. A controller plugin
 * lists `core.apiClient` in `requires`, so the loader refuses it at start-up where no client is
 * registered.
 */
export const apiClientToken = token<KubeClient>('core.apiClient');
