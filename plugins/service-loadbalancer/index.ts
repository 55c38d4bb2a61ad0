// LoadBalancer Services get an address from a configured pool, reported in
// status.loadBalancer.ingress; the node proxies forward it (plugins/service-clusterip).

import type { Ipv4Cidr } from '../../sdk/index.ts';
import {
  apiClientToken,
  componentExtension,
  definePlugin,
  parseIpv4Cidr,
  SkiffError,
} from '../../sdk/index.ts';
import { runLoadBalancer } from './controller.ts';
import { defaultPool } from './pool.ts';

export { type LoadBalancerOptions, runLoadBalancer } from './controller.ts';
export { defaultPool, handled, planAssignments } from './pool.ts';

/** parsePool reads the `pool` setting (an IPv4 CIDR); a bad value stops start-up naming it. */
export function parsePool(config: Readonly<Record<string, unknown>>): Ipv4Cidr {
  const text = config.pool ?? defaultPool;
  const cidr = typeof text === 'string' ? parseIpv4Cidr(text) : { error: 'must be an IPv4 CIDR' };
  if ('error' in cidr)
    throw new SkiffError('Invalid', `service-loadbalancer config: pool ${cidr.error}`, {
      causes: [{ reason: 'FieldValueInvalid', field: 'pool', message: cidr.error }],
      details: { kind: 'ClusterConfig' },
    });
  return cidr;
}

export default definePlugin({
  id: 'service-loadbalancer',
  version: '0.1.0',
  sdk: '^1.0.0',
  description: 'LoadBalancer Service addresses from a pool (default 127.0.1.0/24)',
  provides: ['component/loadbalancer'],
  requires: ['core.apiClient'],
  register(ctx) {
    const pool = parsePool(ctx.config);
    const client = ctx.container.resolve(apiClientToken);
    ctx.provide(componentExtension, 'loadbalancer', {
      run: ({ signal, logger }) => runLoadBalancer(client, { pool, signal, logger }),
    });
  },
});
