// The cluster DNS as a plugin: a control-plane component answering on UDP and TCP.
import {
  apiClientToken,
  clusterSettingsToken,
  componentExtension,
  defaultClusterDomain,
  defaultServiceCidr,
  definePlugin,
  SkiffError,
} from '../../sdk/index.ts';
import { startClusterDns } from './cluster-dns.ts';
import { upstreamsFromResolvConf } from './server.ts';

export {
  type ClusterDnsOptions,
  ensureKubeDns,
  type RunningClusterDns,
  startClusterDns,
} from './cluster-dns.ts';
export { answerCluster } from './records.ts';
export { DnsResponder, startDnsServer, upstreamsFromResolvConf } from './server.ts';

/** DnsPluginConfig is the plugin's section of the cluster config. */
export interface DnsPluginConfig {
  /** listen is `host:port` (default 0.0.0.0:53; port 53 needs root). */
  readonly listen: { host: string; port: number };
  readonly domain: string;
  readonly upstreams: string[];
  readonly serviceCidr: string;
  readonly advertiseAddress?: string;
}

const bad = (field: string, why: string) =>
  new SkiffError('Invalid', `dns-cluster config: ${field} ${why}`, {
    causes: [{ reason: 'FieldValueInvalid', field, message: why }],
    details: { kind: 'ClusterConfig' },
  });

/** parseDnsConfig checks the plugin config; a bad value stops start-up naming the field. */
export function parseDnsConfig(
  config: Readonly<Record<string, unknown>>,
  server: Readonly<Record<string, unknown>> = {},
): DnsPluginConfig {
  const listen = config.listen ?? '0.0.0.0:53';
  const m = typeof listen === 'string' ? /^(.*):(\d{1,5})$/.exec(listen) : null;
  const port = Number(m?.[2]);
  if (m === null || port > 65535)
    throw bad('listen', `must be "host:port" such as "0.0.0.0:53", not ${JSON.stringify(listen)}`);
  const host = (m[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  const domain = config.clusterDomain ?? server.clusterDomain ?? defaultClusterDomain;
  if (
    typeof domain !== 'string' ||
    !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(domain)
  )
    throw bad('clusterDomain', `must be a lower-case DNS name, not ${JSON.stringify(domain)}`);
  const upstreams =
    config.upstreams ?? upstreamsFromResolvConf(String(config.resolvConf ?? '/etc/resolv.conf'));
  if (!Array.isArray(upstreams) || upstreams.some((u) => typeof u !== 'string'))
    throw bad('upstreams', 'must be a list of resolver addresses ("10.0.0.2" or "10.0.0.2:53")');
  const cidr = config.serviceCIDR ?? server.serviceCIDR ?? defaultServiceCidr;
  if (typeof cidr !== 'string') throw bad('serviceCIDR', 'must be an IPv4 CIDR');
  const advertise = config.advertiseAddress;
  if (advertise !== undefined && typeof advertise !== 'string')
    throw bad('advertiseAddress', 'must be an IP address');
  return {
    listen: { host, port },
    domain,
    upstreams: upstreams as string[],
    serviceCidr: cidr,
    ...(advertise === undefined ? {} : { advertiseAddress: advertise }),
  };
}

export default definePlugin({
  id: 'dns-cluster',
  version: '0.1.0',
  sdk: '^1.0.0',
  description:
    'cluster DNS: Service, endpoint and pod names, other names relayed to the host resolvers',
  provides: ['component/dns'],
  requires: ['core.apiClient'],
  register(ctx) {
    const settings = ctx.container.isRegistered(clusterSettingsToken, true)
      ? ctx.container.resolve(clusterSettingsToken)
      : {};
    const config = parseDnsConfig(ctx.config, settings.server ?? {});
    const client = ctx.container.resolve(apiClientToken);
    ctx.provide(componentExtension, 'dns', {
      async run({ signal, logger }) {
        const dns = await startClusterDns(client, {
          host: config.listen.host,
          port: config.listen.port,
          domain: config.domain,
          upstreams: config.upstreams,
          serviceCidr: config.serviceCidr,
          ...(config.advertiseAddress === undefined
            ? {}
            : { advertiseAddress: config.advertiseAddress }),
          logger,
        });
        await new Promise<void>((resolve) => {
          if (signal.aborted) resolve();
          else signal.addEventListener('abort', () => resolve(), { once: true });
        });
        await dns.stop();
      },
    });
  },
});
