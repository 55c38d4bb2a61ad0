import type { KindDefinition, KindRegistry } from '../../sdk/api/kinds.ts';
import type { KubeObject } from '../../sdk/api/meta.ts';

/** Resource is one served group/version/plural with the definition it is stored as. */
export interface Resource {
  /** def is the served version's definition (what requests and responses speak). */
  readonly def: KindDefinition;
  /** storage is the definition objects are stored as: the hub of a converted version. */
  readonly storage: KindDefinition;
}

/** ResourceRegistry lists what the API server serves; routes and discovery come from it alone. */
export class ResourceRegistry {
  readonly #byGvr = new Map<string, Resource>();
  readonly kinds: KindRegistry;

  constructor(kinds: KindRegistry) {
    this.kinds = kinds;
    for (const def of kinds.all()) {
      const hub = def.conversion?.hubVersion;
      const storage = hub === undefined ? def : kinds.get(hub, def.kind);
      if (storage === undefined)
        throw new Error(
          `${def.kind} ${def.apiVersion} converts to ${hub}, which is not registered`,
        );
      this.#byGvr.set(gvrKey(def.group, def.version, def.plural), { def, storage });
    }
  }

  /** find returns the resource serving a group, version and plural. */
  find(group: string, version: string, plural: string): Resource | undefined {
    return this.#byGvr.get(gvrKey(group, version, plural));
  }

  /** forKind returns the preferred resource of a kind of a group. */
  forKind(group: string, kind: string): Resource | undefined {
    const def = this.kinds.preferred(group, kind);
    return def === undefined ? undefined : this.find(def.group, def.version, def.plural);
  }

  /** all lists every resource in registration order. */
  all(): Resource[] {
    return [...this.#byGvr.values()];
  }

  /** groupVersion lists the resources of one served group/version. */
  groupVersion(group: string, version: string): Resource[] {
    return this.all().filter((r) => r.def.group === group && r.def.version === version);
  }

  /** groups lists served groups (core is ''), each with its versions, preferred first. */
  groups(): { group: string; versions: string[] }[] {
    const out = new Map<string, string[]>();
    for (const { def } of this.all()) {
      const list = out.get(def.group) ?? [];
      if (!list.includes(def.version)) {
        if (def.preferred) list.unshift(def.version);
        else list.push(def.version);
      }
      out.set(def.group, list);
    }
    return [...out.entries()].map(([group, versions]) => ({ group, versions }));
  }
}

const gvrKey = (group: string, version: string, plural: string) => `${group}/${version}/${plural}`;

/** storagePrefix is the key prefix of a resource's objects, in one namespace or all of them. */
export function storagePrefix(res: Resource, namespace?: string): string {
  const base = `/registry/${res.storage.group === '' ? 'core' : res.storage.group}/${res.storage.plural}/`;
  return res.storage.namespaced && namespace !== undefined ? `${base}${namespace}/` : base;
}

/** storageKey is the key of one object: `/registry/<group or core>/<plural>/<ns>/<name>`. */
export function storageKey(res: Resource, namespace: string | undefined, name: string): string {
  return `${storagePrefix(res, res.storage.namespaced ? namespace : undefined)}${name}`;
}

/** toStorage converts an object of the served version to the stored version. */
export function toStorage(res: Resource, object: KubeObject): KubeObject {
  const conv = res.def.conversion;
  return conv === undefined ? object : conv.toHub(object);
}

/** fromStorage converts a stored object to the served version, stamping its resourceVersion. */
export function fromStorage(res: Resource, stored: KubeObject, modRevision: number): KubeObject {
  const conv = res.def.conversion;
  const object = conv === undefined ? stored : conv.fromHub(stored);
  object.apiVersion = res.def.apiVersion;
  object.kind = res.def.kind;
  object.metadata = { ...object.metadata, resourceVersion: String(modRevision) };
  return object;
}

/** decodeStored parses a stored value. */
export function decodeStored(value: Uint8Array): KubeObject {
  return JSON.parse(Buffer.from(value).toString('utf8')) as KubeObject;
}

/** encodeStored serializes an object for the store, without its resourceVersion. */
export function encodeStored(object: KubeObject): string {
  const copy: KubeObject = { ...object, metadata: { ...object.metadata } };
  if (copy.metadata) delete copy.metadata.resourceVersion;
  return JSON.stringify(copy);
}
