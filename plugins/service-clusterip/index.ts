// ClusterIP, NodePort and LoadBalancer forwarding on one node with iptables nat rules.
import { definePlugin, SkiffError, serviceTypeExtension } from '../../sdk/index.ts';
import { IptablesServices } from './iptables.ts';

export { type IptablesOptions, IptablesServices } from './iptables.ts';
export { chains, jumpRules, parseNatState, removalInput, restoreInput } from './rules.ts';

const text = (config: Readonly<Record<string, unknown>>, field: string): string | undefined => {
  const v = config[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '')
    throw new SkiffError('Invalid', `service-clusterip config: ${field} must be a command name`, {
      causes: [{ reason: 'FieldValueInvalid', field, message: 'must be a command name' }],
      details: { kind: 'ClusterConfig' },
    });
  return v;
};

export default definePlugin({
  id: 'service-clusterip',
  version: '0.1.0',
  sdk: '^1.0.0',
  description: 'Service cluster IPs, node ports and load-balancer addresses forwarded by iptables',
  provides: ['service-type/iptables'],
  register(ctx) {
    const save = text(ctx.config, 'iptablesSave');
    const restore = text(ctx.config, 'iptablesRestore');
    const services = new IptablesServices({
      ...(save === undefined ? {} : { save }),
      ...(restore === undefined ? {} : { restore }),
      logger: ctx.logger,
    });
    ctx.provide(serviceTypeExtension, 'iptables', services);
  },
});
