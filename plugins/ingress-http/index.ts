// The HTTP ingress controller as a plugin: a control-plane component serving Ingresses of
// its IngressClass on a node port.
import { apiClientToken, componentExtension, definePlugin, SkiffError } from '../../sdk/index.ts';
import { ensureIngressClass } from './default-class.ts';
import { startIngressHttp } from './ingress-http.ts';
import { ingressControllerName } from './routes.ts';

export { resolveBackends, type Target } from './backends.ts';
export {
  advertisedAddress,
  type IngressHttpOptions,
  type RunningIngressHttp,
  startIngressHttp,
} from './ingress-http.ts';
export { type RoutingSources, startIngressProxy } from './proxy.ts';
export { hostMatches, ingressControllerName, isServed, pathMatches, route } from './routes.ts';

/** IngressHttpConfig is the plugin's section of the cluster config. */
export interface IngressHttpConfig {
  /** listen is `host:port` (default 0.0.0.0:30080, a node port). */
  readonly listen: { host: string; port: number };
  readonly controller: string;
  readonly withoutClass: boolean;
  readonly address?: string;
  /**
   * className is the IngressClass made at start for this controller (default "skiff-http"),
   * the cluster's default class when no other is; "" makes none.
   */
  readonly className: string;
}

const bad = (field: string, why: string) =>
  new SkiffError('Invalid', `ingress-http config: ${field} ${why}`, {
    causes: [{ reason: 'FieldValueInvalid', field, message: why }],
    details: { kind: 'ClusterConfig' },
  });

/** parseIngressHttpConfig checks the plugin config; a bad value stops start-up naming the field. */
export function parseIngressHttpConfig(
  config: Readonly<Record<string, unknown>>,
): IngressHttpConfig {
  const listen = config.listen ?? '0.0.0.0:30080';
  const m = typeof listen === 'string' ? /^(.*):(\d{1,5})$/.exec(listen) : null;
  const port = Number(m?.[2]);
  if (m === null || port > 65535)
    throw bad(
      'listen',
      `must be "host:port" such as "0.0.0.0:30080", not ${JSON.stringify(listen)}`,
    );
  const controller = config.controller ?? ingressControllerName;
  if (typeof controller !== 'string' || !/^[a-z0-9.-]+\/[A-Za-z0-9._/-]+$/.test(controller))
    throw bad('controller', `must be a domain-prefixed path such as "${ingressControllerName}"`);
  const withoutClass = config.watchIngressWithoutClass ?? false;
  if (typeof withoutClass !== 'boolean')
    throw bad('watchIngressWithoutClass', 'must be true or false');
  const address = config.address;
  if (address !== undefined && typeof address !== 'string')
    throw bad('address', 'must be an IP address');
  const className = config.ingressClass ?? 'skiff-http';
  if (typeof className !== 'string' || !/^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?)?$/.test(className))
    throw bad('ingressClass', 'must be an object name such as "skiff-http", or "" for none');
  return {
    className,
    listen: { host: (m[1] ?? '').replace(/^\[(.*)\]$/, '$1'), port },
    controller,
    withoutClass,
    ...(address === undefined ? {} : { address }),
  };
}

export default definePlugin({
  id: 'ingress-http',
  version: '0.1.0',
  sdk: '^1.0.0',
  description: 'Ingress controller: HTTP on a node port, by host and path to Service endpoints',
  provides: ['component/ingress-http'],
  requires: ['core.apiClient'],
  register(ctx) {
    const config = parseIngressHttpConfig(ctx.config);
    const client = ctx.container.resolve(apiClientToken);
    ctx.provide(componentExtension, 'ingress-http', {
      async run({ signal, logger }) {
        if (config.className !== '')
          await ensureIngressClass(client, config.className, config.controller, logger);
        const running = await startIngressHttp(client, {
          host: config.listen.host,
          port: config.listen.port,
          controller: config.controller,
          withoutClass: config.withoutClass,
          ...(config.address === undefined ? {} : { address: config.address }),
          logger,
        });
        await new Promise<void>((resolve) => {
          if (signal.aborted) resolve();
          else signal.addEventListener('abort', () => resolve(), { once: true });
        });
        await running.stop();
      },
    });
  },
});
