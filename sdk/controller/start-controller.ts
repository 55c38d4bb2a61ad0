import { builtinKindRegistry } from '../api/builtin-kinds.ts';
import type { KindRegistry } from '../api/kinds.ts';
import type { KubeObject } from '../api/meta.ts';
import type { KubeClient } from '../client/client.ts';
import type { ResourceRef } from '../client/resource.ts';
import type { Controller, WatchedKind } from '../controller.ts';
import { SkiffError } from '../errors.ts';
import type { Logger } from '../plugin.ts';
import { InformerFactory } from './informer-factory.ts';
import { keyOf, type RunningController, runController } from './run-controller.ts';
import { WorkQueue, type WorkQueueOptions } from './work-queue.ts';

/** StartControllerOptions say where a Controller value runs. */
export interface StartControllerOptions {
  readonly client: Pick<KubeClient, 'list' | 'watch'>;
  readonly controller: Controller;
  /** factory shares informers with the reconciler (it reads its cache from the same informers). */
  readonly factory?: InformerFactory;
  /** kinds maps watched kinds to their resources (default: the built-in kinds). */
  readonly kinds?: KindRegistry;
  /** namespace limits every informer to one namespace. */
  readonly namespace?: string;
  readonly queue?: WorkQueueOptions;
  readonly logger?: Logger;
  readonly signal?: AbortSignal;
}

/** resourceOf finds the collection of a watched kind, or fails naming the kind. */
export function resourceOf(
  kinds: KindRegistry,
  watched: WatchedKind,
  namespace?: string,
): ResourceRef {
  const def = kinds.get(watched.apiVersion, watched.kind);
  if (!def)
    throw new SkiffError('NotFound', `no kind ${watched.kind} in ${watched.apiVersion} to watch`, {
      details: { kind: watched.kind },
    });
  return {
    group: def.group,
    version: def.version,
    plural: def.plural,
    namespace: def.namespaced ? namespace : undefined,
  };
}

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');

/**
 * startController runs a Controller value: changes of the kind it owns enqueue that object's
 * key; changes of each kind it watches enqueue the owner named by the object's controller
 * ownerReference (matched by group and kind, so any version of the owner counts). Stopping
 * ends the workers and the informers it started.
 */
export function startController(options: StartControllerOptions): RunningController {
  const { controller } = options;
  const kinds = options.kinds ?? builtinKindRegistry();
  // The controller's own informers come first: its reconciler reads their caches, so its keys
  // must come from them too (see Controller.informers).
  const shared = controller.informers ?? options.factory;
  const factory = shared ?? new InformerFactory(options.client, { logger: options.logger });
  const queue = new WorkQueue(options.queue);
  const owned = factory.informerFor(resourceOf(kinds, controller.owns, options.namespace));
  const enqueue = (o: KubeObject) => queue.add(keyOf(o));
  owned.addHandlers({ add: enqueue, update: (_old, o) => enqueue(o), delete: enqueue });
  const ownerGroup = groupOf(controller.owns.apiVersion);
  const enqueueOwner = (o: KubeObject) => {
    for (const ref of o.metadata?.ownerReferences ?? []) {
      if (ref.controller !== true || ref.kind !== controller.owns.kind) continue;
      if (groupOf(ref.apiVersion) !== ownerGroup) continue;
      const ns = o.metadata?.namespace ?? '';
      queue.add(ns === '' ? ref.name : `${ns}/${ref.name}`);
    }
  };
  for (const watched of controller.watches ?? []) {
    factory.informerFor(resourceOf(kinds, watched, options.namespace)).addHandlers({
      add: enqueueOwner,
      update: (old, o) => {
        enqueueOwner(old);
        enqueueOwner(o);
      },
      delete: enqueueOwner,
    });
  }
  factory.start();
  const running = runController({
    queue,
    reconcile: controller.reconciler,
    workers: controller.concurrency ?? 1,
    logger: options.logger,
    signal: options.signal,
  });
  const finished = running.finished.then(() => (shared ? undefined : factory.stop()));
  return {
    finished,
    async stop() {
      await running.stop();
      await finished;
    },
  };
}
