// Which of the server's resources the collector and the namespace controller act on.
import type { ServerResource } from '../../sdk/index.ts';

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');

// Events name objects but are never owners or owned in practice, and there are many of them;
// Kubernetes' collector leaves them out too.
const ignored = new Set(['/events', 'events.k8s.io/events']);

const can = (r: ServerResource, ...verbs: string[]) => verbs.every((v) => r.verbs.includes(v));

/**
 * ResourceIndex is the server's resources as the collector sees them: one preferred version of
 * each, and a lookup from an ownerReference's apiVersion and kind to that resource.
 */
export class ResourceIndex {
  readonly #byGroupKind = new Map<string, ServerResource>();
  readonly all: readonly ServerResource[];

  constructor(discovered: readonly ServerResource[]) {
    const preferred = discovered.filter((r) => r.preferred);
    this.all = preferred;
    for (const r of preferred) this.#byGroupKind.set(`${r.group}/${r.kind}`, r);
  }

  /** forOwner finds the resource of an ownerReference (any version of the kind's group counts). */
  forOwner(apiVersion: string, kind: string): ServerResource | undefined {
    return this.#byGroupKind.get(`${groupOf(apiVersion)}/${kind}`);
  }

  /** collectable lists what the collector follows: listable, watchable and deletable kinds. */
  collectable(): ServerResource[] {
    return this.all.filter(
      (r) => can(r, 'list', 'watch', 'delete') && !ignored.has(`${r.group}/${r.plural}`),
    );
  }

  /** namespacedContent lists what a terminating namespace is emptied of, kind by kind. */
  namespacedContent(): ServerResource[] {
    return this.all.filter((r) => r.namespaced && can(r, 'list', 'delete'));
  }
}

/** resourceKey names a resource for maps and logs: `apps/v1/deployments`. */
export const resourceKey = (r: ServerResource) => `${r.group}/${r.version}/${r.plural}`;
