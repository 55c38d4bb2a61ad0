import type { KindDefinition } from '../../sdk/api/kinds.ts';
import type { Resource, ResourceRegistry } from './resources.ts';

/** aggregatedDiscoveryType is the content type that tells kubectl a body is aggregated discovery. */
export const aggregatedDiscoveryType =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** wantsAggregated tells whether an Accept header asks for aggregated discovery (v2). */
export function wantsAggregated(accept: string | undefined): boolean {
  return (accept ?? '')
    .split(',')
    .some(
      (t) =>
        /g=apidiscovery\.k8s\.io/.test(t) &&
        /v=v2(;|$|\s)/.test(t) &&
        /as=APIGroupDiscoveryList/.test(t),
    );
}

/** versionInfo is the /version body; minor 32 keeps kubectl's dispatcher on kubectl 1.32. */
export const versionInfo = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-skiff',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: `node${process.versions.node}`,
  compiler: 'gc',
  platform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** SubresourceInfo is one served subresource of a kind. */
interface SubresourceInfo {
  name: string;
  kind: { group: string; version: string; kind: string };
  verbs: string[];
}

/** subresourcesOf lists what a kind serves besides itself, for discovery and routing. */
export function subresourcesOf(def: KindDefinition): SubresourceInfo[] {
  const self = { group: def.group, version: def.version, kind: def.kind };
  const out: SubresourceInfo[] = [];
  if (def.subresources.includes('status'))
    out.push({ name: 'status', kind: self, verbs: ['get', 'patch', 'update'] });
  if (def.subresources.includes('scale'))
    out.push({
      name: 'scale',
      kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
      verbs: ['get', 'patch', 'update'],
    });
  if (def.group === '' && def.kind === 'Namespace')
    out.push({ name: 'finalize', kind: self, verbs: ['update'] });
  if (def.group === '' && def.kind === 'Pod') {
    out.push({
      name: 'binding',
      kind: { group: '', version: 'v1', kind: 'Binding' },
      verbs: ['create'],
    });
    out.push({
      name: 'eviction',
      kind: { group: 'policy', version: 'v1', kind: 'Eviction' },
      verbs: ['create'],
    });
    out.push({ name: 'log', kind: { group: '', version: 'v1', kind: 'Pod' }, verbs: ['get'] });
    out.push({
      name: 'exec',
      kind: { group: '', version: 'v1', kind: 'PodExecOptions' },
      verbs: ['create', 'get'],
    });
  }
  return out;
}

function aggregatedResource(res: Resource) {
  const { def } = res;
  return {
    resource: def.plural,
    responseKind: { group: def.group, version: def.version, kind: def.kind },
    scope: def.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: def.singular,
    verbs,
    ...(def.shortNames.length > 0 ? { shortNames: [...def.shortNames] } : {}),
    ...(def.categories.length > 0 ? { categories: [...def.categories] } : {}),
    subresources: subresourcesOf(def).map((s) => ({
      subresource: s.name,
      responseKind: s.kind,
      verbs: s.verbs,
    })),
  };
}

/** aggregatedDiscovery is the APIGroupDiscoveryList of /api (core) or /apis (named groups). */
export function aggregatedDiscovery(registry: ResourceRegistry, core: boolean) {
  const items = registry
    .groups()
    .filter((g) => (g.group === '') === core)
    .map((g) => ({
      metadata: { name: g.group },
      versions: g.versions.map((version) => ({
        version,
        resources: registry.groupVersion(g.group, version).map(aggregatedResource),
        freshness: 'Current',
      })),
    }));
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items,
  };
}

/** legacyVersions is the APIVersions body of /api. */
export function legacyVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** legacyGroups is the APIGroupList body of /apis. */
export function legacyGroups(registry: ResourceRegistry) {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: registry
      .groups()
      .filter((g) => g.group !== '')
      .map((g) => apiGroup(g.group, g.versions)),
  };
}

/** apiGroup is the APIGroup body of /apis/<group>. */
export function apiGroup(group: string, versions: string[]) {
  const list = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: group,
    versions: list,
    preferredVersion: list[0],
  };
}

/** resourceList is the APIResourceList body of one group/version. */
export function resourceList(registry: ResourceRegistry, group: string, version: string) {
  const resources = registry.groupVersion(group, version).flatMap(({ def }) => [
    {
      name: def.plural,
      singularName: def.singular,
      namespaced: def.namespaced,
      kind: def.kind,
      verbs,
      ...(def.shortNames.length > 0 ? { shortNames: [...def.shortNames] } : {}),
      ...(def.categories.length > 0 ? { categories: [...def.categories] } : {}),
    },
    ...subresourcesOf(def).map((s) => ({
      name: `${def.plural}/${s.name}`,
      singularName: '',
      namespaced: def.namespaced,
      ...(s.kind.group === def.group ? {} : { group: s.kind.group, version: s.kind.version }),
      kind: s.kind.kind,
      verbs: s.verbs,
    })),
  ]);
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources,
  };
}
