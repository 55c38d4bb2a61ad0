import type { KubeObject } from '../api/meta.ts';
import type { KubeClient } from '../client/client.ts';
import type { ResourceRef } from '../client/resource.ts';
import { Informer, type InformerOptions } from './informer.ts';

/**
 * InformerFactory shares one informer per collection and selector among the controllers of a
 * process, so each collection is listed and watched once. Indexers of the first caller win;
 * add indexes there.
 */
export class InformerFactory {
  readonly #client: Pick<KubeClient, 'list' | 'watch'>;
  readonly #defaults: InformerOptions<KubeObject>;
  readonly #informers = new Map<string, Informer<KubeObject>>();

  constructor(
    client: Pick<KubeClient, 'list' | 'watch'>,
    defaults: InformerOptions<KubeObject> = {},
  ) {
    this.#client = client;
    this.#defaults = defaults;
  }

  /** informerFor returns the shared informer of a collection, making it on first use. */
  informerFor<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    options: InformerOptions<T> = {},
  ): Informer<T> {
    const key = JSON.stringify([
      ref.group,
      ref.version,
      ref.plural,
      ref.namespace ?? '',
      options.labelSelector ?? '',
      options.fieldSelector ?? '',
    ]);
    let informer = this.#informers.get(key);
    if (!informer) {
      informer = new Informer<KubeObject>(this.#client, ref, {
        ...this.#defaults,
        ...(options as unknown as InformerOptions<KubeObject>),
      });
      this.#informers.set(key, informer);
    }
    return informer as unknown as Informer<T>;
  }

  /** start starts every informer made so far (starting one twice does nothing). */
  start(): void {
    for (const informer of this.#informers.values()) informer.start();
  }

  /** waitForSync resolves once every informer made so far has listed. */
  async waitForSync(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((i) => i.waitForSync()));
  }

  /** stop stops every informer. */
  async stop(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((i) => i.stop()));
  }
}
