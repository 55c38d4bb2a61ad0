// The running controller: informers on Ingresses, IngressClasses, Services and Endpoints, the
// HTTP proxy reading them, and status.loadBalancer written to the Ingresses it serves.
import { networkInterfaces } from 'node:os';
import {
  api,
  InformerFactory,
  isSkiffError,
  type KubeClient,
  type Logger,
  resourceOf,
} from '../../sdk/index.ts';
import { type RunningProxy, startIngressProxy } from './proxy.ts';
import { isServed } from './routes.ts';

type Client = Pick<KubeClient, 'list' | 'watch' | 'updateStatus'>;

/** IngressHttpOptions configure the controller. */
export interface IngressHttpOptions {
  readonly host: string;
  readonly port: number;
  /** controller is the IngressClass spec.controller value served. */
  readonly controller: string;
  /** withoutClass serves Ingresses that name no class (ingress-nginx's --watch-ingress-without-class). */
  readonly withoutClass: boolean;
  /** address is written to served Ingresses' status (default: from the listen host). */
  readonly address?: string;
  readonly logger?: Logger;
}

/** RunningIngressHttp is the started controller. */
export interface RunningIngressHttp {
  readonly proxy: RunningProxy;
  /** ready resolves once every cache has listed. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

const kinds = api.builtinKindRegistry();
const ref = (apiVersion: string, kind: string) => resourceOf(kinds, { apiVersion, kind });

/** advertisedAddress is the listen host, or the first outside IPv4 address for a wildcard. */
export function advertisedAddress(host: string): string {
  if (host !== '0.0.0.0' && host !== '::' && host !== '') return host;
  for (const addrs of Object.values(networkInterfaces()))
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

/** startIngressHttp starts the informers, the proxy and the status writer. */
export async function startIngressHttp(
  client: Client,
  opts: IngressHttpOptions,
): Promise<RunningIngressHttp> {
  const factory = new InformerFactory(client, opts.logger ? { logger: opts.logger } : {});
  const ingressRef = ref('networking.k8s.io/v1', 'Ingress');
  const ingresses = factory.informerFor<api.Ingress>(ingressRef);
  const classes = factory.informerFor<api.IngressClass>(
    ref('networking.k8s.io/v1', 'IngressClass'),
  );
  const services = factory.informerFor<api.Service>(ref('v1', 'Service'));
  const endpoints = factory.informerFor<api.Endpoints>(ref('v1', 'Endpoints'));
  const classOpts = { controller: opts.controller, withoutClass: opts.withoutClass };
  const served = () =>
    ingresses.cache.list().filter((i) => isServed(i, classes.cache.list(), classOpts));
  const address = opts.address ?? advertisedAddress(opts.host);

  // Status writes run one pass at a time; a change during a pass asks for one more.
  let stopped = false;
  let pending = false;
  let running: Promise<void> | undefined;
  let retry: NodeJS.Timeout | undefined;
  const writeStatus = async (): Promise<void> => {
    const ours = new Set(served().map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`));
    for (const ing of ingresses.cache.list()) {
      if (stopped) return;
      const key = `${ing.metadata?.namespace}/${ing.metadata?.name}`;
      const now = ing.status?.loadBalancer?.ingress ?? [];
      const mine = now.some((a) => a.ip === address);
      let want: typeof now;
      if (ours.has(key)) want = [{ ip: address }];
      else if (mine) want = now.filter((a) => a.ip !== address);
      else continue;
      if (JSON.stringify(now) === JSON.stringify(want)) continue;
      try {
        await client.updateStatus(
          { ...ingressRef, namespace: ing.metadata?.namespace ?? 'default' },
          { ...ing, status: { ...ing.status, loadBalancer: { ingress: want } } },
        );
      } catch (err) {
        // A conflict or a deletion brings a watch event, which asks for another pass; other
        // trouble (the server away) is tried again after a pause.
        if (!isSkiffError(err, 'Conflict') && !isSkiffError(err, 'NotFound')) {
          opts.logger?.warn('ingress status not written', { ingress: key, error: String(err) });
          retry ??= setTimeout(() => {
            retry = undefined;
            kick();
          }, 2000);
        }
      }
    }
  };
  const kick = () => {
    if (stopped || !ingresses.hasSynced() || !classes.hasSynced()) return;
    if (running) {
      pending = true;
      return;
    }
    running = writeStatus().finally(() => {
      running = undefined;
      if (pending) {
        pending = false;
        kick();
      }
    });
  };
  const onChange = { add: kick, update: kick, delete: kick };
  ingresses.addHandlers(onChange);
  classes.addHandlers(onChange);

  factory.start();
  let proxy: RunningProxy;
  try {
    proxy = await startIngressProxy({
      host: opts.host,
      port: opts.port,
      logger: opts.logger,
      sources: {
        served,
        service: (ns, name) => services.cache.get(`${ns}/${name}`),
        endpoints: (ns, name) => endpoints.cache.get(`${ns}/${name}`),
      },
    });
  } catch (err) {
    await factory.stop();
    throw err;
  }
  const ready = factory.waitForSync().then(kick);
  return {
    proxy,
    ready,
    async stop() {
      stopped = true;
      clearTimeout(retry);
      await proxy.close();
      await factory.stop();
      await running;
    },
  };
}
