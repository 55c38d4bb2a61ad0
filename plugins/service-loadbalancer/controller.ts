import type { api, Ipv4Cidr, KubeClient, Logger, ResourceRef } from '../../sdk/index.ts';
import { Informer, isSkiffError } from '../../sdk/index.ts';
import { planAssignments } from './pool.ts';

type Service = api.Service & { metadata: NonNullable<api.Service['metadata']> };

const servicesRef: ResourceRef = { group: '', version: 'v1', plural: 'services' };

/** LoadBalancerOptions configure the address controller. */
export interface LoadBalancerOptions {
  readonly pool: Ipv4Cidr;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** settleMs gathers bursts of changes into one pass (default 50 ms). */
  readonly settleMs?: number;
}

/**
 * runLoadBalancer follows every Service and keeps status.loadBalancer.ingress of each
 * LoadBalancer Service at one address from the pool, taking it back when the Service goes or
 * changes type; the node proxies forward the address like the cluster IP. Resolves once the
 * signal aborts.
 */
export async function runLoadBalancer(
  client: KubeClient,
  opts: LoadBalancerOptions,
): Promise<void> {
  const informer = new Informer<Service>(client, servicesRef, { logger: opts.logger });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let warned = '';
  const pass = async () => {
    const { changes, pending } = planAssignments(opts.pool, informer.cache.list());
    for (const c of changes) {
      const ref = { ...servicesRef, namespace: c.namespace };
      const ingress = c.ip === undefined ? null : [{ ip: c.ip, ipMode: 'VIP' }];
      try {
        await client.patch(
          ref,
          c.name,
          'merge',
          { status: { loadBalancer: { ingress } } },
          {
            subresource: 'status',
          },
        );
        opts.logger.info(
          c.ip ? 'load-balancer address assigned' : 'load-balancer address released',
          {
            service: `${c.namespace}/${c.name}`,
            ip: c.ip,
          },
        );
      } catch (err) {
        if (!isSkiffError(err, 'NotFound')) throw err;
      }
    }
    const text = pending.join(',');
    if (text !== '' && text !== warned)
      opts.logger.warn('load-balancer pool exhausted; services wait for an address', {
        pool: opts.pool.text,
        services: pending,
      });
    warned = text;
  };
  const queue = (delay = opts.settleMs ?? 50) => {
    if (opts.signal.aborted || !informer.hasSynced()) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = pass()
        .catch((err) => {
          opts.logger.error('load-balancer pass failed', { error: String(err) });
          again = true;
        })
        .finally(() => {
          running = undefined;
          if (again) {
            again = false;
            queue(1_000);
          }
        });
    }, delay);
  };
  informer.addHandlers({ add: () => queue(), update: () => queue(), delete: () => queue() });
  informer.start();
  await informer.waitForSync();
  queue(0);
  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve();
    else opts.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  clearTimeout(timer);
  await informer.stop();
  await running;
}
