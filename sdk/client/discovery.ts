import type { KubeClient } from './client.ts';
import type { ResourceRef } from './resource.ts';

/** ServerResource is one top-level resource a server serves, as its discovery lists it. */
export interface ServerResource {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
  /** preferred marks the group's preferred version. */
  readonly preferred: boolean;
}

interface ApiVersions {
  versions?: string[];
}
interface ApiGroupList {
  groups?: {
    name: string;
    versions?: { version: string }[];
    preferredVersion?: { version: string };
  }[];
}
interface ApiResourceList {
  resources?: { name: string; kind: string; namespaced?: boolean; verbs?: string[] }[];
}

/**
 * discoverResources lists every resource of every group version the server serves (from
 * `/api`, `/apis` and each group version's resource list), subresources left out. A group
 * version whose list fails makes the whole call fail: callers retry rather than act on a
 * partial picture.
 */
export async function discoverResources(
  client: Pick<KubeClient, 'getPath'>,
): Promise<ServerResource[]> {
  const core = await client.getPath<ApiVersions>('/api');
  const groups = await client.getPath<ApiGroupList>('/apis');
  const versions: { group: string; version: string; preferred: boolean }[] = (
    core.versions ?? []
  ).map((version, i) => ({ group: '', version, preferred: i === 0 }));
  for (const g of groups.groups ?? []) {
    const preferred = g.preferredVersion?.version ?? g.versions?.[0]?.version;
    for (const v of g.versions ?? [])
      versions.push({ group: g.name, version: v.version, preferred: v.version === preferred });
  }
  const lists = await Promise.all(
    versions.map(async (gv) => {
      const path = gv.group === '' ? `/api/${gv.version}` : `/apis/${gv.group}/${gv.version}`;
      const list = await client.getPath<ApiResourceList>(path);
      return (list.resources ?? [])
        .filter((r) => !r.name.includes('/'))
        .map(
          (r): ServerResource => ({
            group: gv.group,
            version: gv.version,
            plural: r.name,
            kind: r.kind,
            namespaced: r.namespaced === true,
            verbs: r.verbs ?? [],
            preferred: gv.preferred,
          }),
        );
    }),
  );
  return lists.flat();
}

/** refOfResource is the collection of a discovered resource, in one namespace or all. */
export function refOfResource(resource: ServerResource, namespace?: string): ResourceRef {
  return {
    group: resource.group,
    version: resource.version,
    plural: resource.plural,
    ...(resource.namespaced && namespace !== undefined ? { namespace } : {}),
  };
}

/** apiVersionOf is the apiVersion objects of a discovered resource carry (`apps/v1`, `v1`). */
export function apiVersionOf(resource: Pick<ServerResource, 'group' | 'version'>): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}
