import type { Service } from '../../sdk/api/core/service.ts';
import type { KubeObject } from '../../sdk/api/meta.ts';
import type { EndpointSlice } from '../../sdk/api/networking/endpoint-slice.ts';
import type { KubeClient } from '../../sdk/client/client.ts';
import type { ResourceRef } from '../../sdk/client/resource.ts';
import { Informer } from '../../sdk/controller/informer.ts';
import type { ServiceRoute, ServiceType } from '../../sdk/service.ts';
import { serviceRoutes } from './service-routes.ts';

const servicesRef: ResourceRef = { group: '', version: 'v1', plural: 'services' };
const slicesRef: ResourceRef = {
  group: 'discovery.k8s.io',
  version: 'v1',
  plural: 'endpointslices',
};

type Named<T> = T & KubeObject;

/** ServiceProxyOptions configure the node's service proxy. */
export interface ServiceProxyOptions {
  readonly client: KubeClient;
  /** types are the service type implementations; each route goes to the first that handles it. */
  readonly types: readonly ServiceType[];
  /** settleMs gathers bursts of changes into one sync (default 100 ms). */
  readonly settleMs?: number;
  /** retryMs is the pause before a failed sync is tried again (default 2 s). */
  readonly retryMs?: number;
  readonly onError?: (message: string) => void;
}

/**
 * ServiceProxy is the agent's kube-proxy: it follows every Service and EndpointSlice and hands
 * each service type the full set of routes it owns whenever something changes. Stopping leaves
 * the forwarding in place (traffic keeps flowing while the agent restarts; the next run
 * converges from it); close() takes it out.
 */
export class ServiceProxy {
  readonly #opts: ServiceProxyOptions;
  readonly #services: Informer<Named<Service>>;
  readonly #slices: Informer<Named<EndpointSlice>>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #dirty = false;
  #stopped = false;
  #last = '';

  constructor(opts: ServiceProxyOptions) {
    this.#opts = opts;
    this.#services = new Informer(opts.client, servicesRef);
    this.#slices = new Informer(opts.client, slicesRef);
    const changed = {
      add: () => this.#queue(),
      update: () => this.#queue(),
      delete: () => this.#queue(),
    };
    this.#services.addHandlers(changed);
    this.#slices.addHandlers(changed);
  }

  /** start lists Services and EndpointSlices and applies the first full set. */
  async start(): Promise<void> {
    this.#services.start();
    this.#slices.start();
    await Promise.all([this.#services.waitForSync(), this.#slices.waitForSync()]);
    await this.#syncNow();
  }

  /** routes is the full desired set as the caches hold it now. */
  routes(): ServiceRoute[] {
    return serviceRoutes(this.#services.cache.list(), this.#slices.cache.list());
  }

  /** stop ends the watches; forwarding stays as it is. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await Promise.all([this.#services.stop(), this.#slices.stop()]);
    await this.#running;
  }

  /** close stops and removes every rule the service types installed. */
  async close(): Promise<void> {
    await this.stop();
    for (const t of this.#opts.types) await t.close();
  }

  #queue(delay = this.#opts.settleMs ?? 100): void {
    if (this.#stopped || !this.#services.hasSynced() || !this.#slices.hasSynced()) return;
    if (this.#running) {
      this.#dirty = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#syncNow()
        .catch((err) => {
          this.#report(`service sync: ${err instanceof Error ? err.message : String(err)}`);
          this.#last = '';
          this.#dirty = true;
        })
        .finally(() => {
          this.#running = undefined;
          if (this.#dirty) {
            this.#dirty = false;
            this.#queue(this.#last === '' ? (this.#opts.retryMs ?? 2_000) : undefined);
          }
        });
    }, delay);
  }

  async #syncNow(): Promise<void> {
    const routes = this.routes();
    const text = JSON.stringify(routes);
    if (text === this.#last) return;
    const share = new Map<ServiceType, ServiceRoute[]>(this.#opts.types.map((t) => [t, []]));
    for (const r of routes) {
      const type = this.#opts.types.find((t) => t.capabilities.types.includes(r.type));
      if (type) share.get(type)?.push(r);
    }
    for (const [type, mine] of share) await type.sync(mine);
    this.#last = text;
  }

  #report(text: string): void {
    (this.#opts.onError ?? ((m: string) => process.stderr.write(`skiff agent: ${m}\n`)))(text);
  }
}
