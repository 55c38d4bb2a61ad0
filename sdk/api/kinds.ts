import type { TSchema } from '@sinclair/typebox';
import type { SkiffError } from '../errors.ts';
import type { KubeObject } from './meta.ts';
import { ListMeta, TypeMeta } from './meta.ts';
import { arr, obj, opt } from './schema-kit.ts';
import { type FieldError, invalidObjectError } from './validation/field-error.ts';
import { validateObjectMeta } from './validation/meta-validation.ts';
import type { NameRule } from './validation/names.ts';
import { schemaErrors } from './validation/schema-check.ts';
import { validateMetaUpdate } from './validation/update-validation.ts';

/** Conversion maps an object of a served version to and from the kind's hub (preferred) version. */
export interface Conversion {
  /** hubVersion is the apiVersion objects are converted to for storage, e.g. `networking.k8s.io/v1`. */
  readonly hubVersion: string;
  toHub(object: KubeObject): KubeObject;
  fromHub(object: KubeObject): KubeObject;
}

/** KindDefinition is everything the API server needs to serve one version of one kind. */
export interface KindDefinition {
  readonly group: string;
  readonly version: string;
  /** apiVersion is `group/version`, or just `version` for the core group. */
  readonly apiVersion: string;
  readonly kind: string;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** subresources the kind serves besides the object itself. */
  readonly subresources: readonly ('status' | 'scale')[];
  /** preferred marks the version discovery lists first and storage uses. */
  readonly preferred: boolean;
  /** deprecated is set for versions Kubernetes has removed; the text is the warning to send. */
  readonly deprecated?: string;
  readonly conversion?: Conversion;
  readonly schema: TSchema;
  readonly nameRule: NameRule;
  /** default returns a copy with Kubernetes' defaults applied; the argument is left untouched. */
  default(object: KubeObject): KubeObject;
  /** validate lists every bad field of a defaulted object: type errors, metadata, kind rules. */
  validate(object: KubeObject): FieldError[];
  /** validateUpdate is validate plus the rules on what an update may change (immutable fields). */
  validateUpdate(next: KubeObject, prev: KubeObject): FieldError[];
}

/** KindSpec is what a kind declares; defineKind derives the rest. */
export interface KindSpec<T> {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  schema: TSchema;
  nameRule: NameRule;
  shortNames?: string[];
  categories?: string[];
  subresources?: ('status' | 'scale')[];
  preferred?: boolean;
  deprecated?: string;
  conversion?: Conversion;
  defaults?: (object: T) => void;
  rules?: (object: T) => FieldError[];
  updateRules?: (next: T, prev: T) => FieldError[];
}

/** defineKind builds a KindDefinition from its spec. */
export function defineKind<T>(spec: KindSpec<T>): KindDefinition {
  const apiVersion = spec.group === '' ? spec.version : `${spec.group}/${spec.version}`;
  const metaRules = { namespaced: spec.namespaced, nameRule: spec.nameRule };
  const def: KindDefinition = {
    group: spec.group,
    version: spec.version,
    apiVersion,
    kind: spec.kind,
    listKind: `${spec.kind}List`,
    plural: spec.plural,
    singular: spec.kind.toLowerCase(),
    namespaced: spec.namespaced,
    shortNames: Object.freeze([...(spec.shortNames ?? [])]),
    categories: Object.freeze([...(spec.categories ?? [])]),
    subresources: Object.freeze([...(spec.subresources ?? [])]),
    preferred: spec.preferred ?? true,
    ...(spec.deprecated === undefined ? {} : { deprecated: spec.deprecated }),
    ...(spec.conversion === undefined ? {} : { conversion: spec.conversion }),
    schema: spec.schema,
    nameRule: spec.nameRule,
    default(object) {
      const copy = structuredClone(object);
      spec.defaults?.(copy as T);
      return copy;
    },
    validate(object) {
      // Kind rules assume well-typed input, so type errors are reported alone.
      const typeErrors = schemaErrors(spec.schema, object);
      if (typeErrors.length > 0) return typeErrors;
      return [
        ...validateObjectMeta(object.metadata, metaRules),
        ...(spec.rules?.(object as T) ?? []),
      ];
    },
    validateUpdate(next, prev) {
      // The schema is walked once: type errors are reported alone, as validate does.
      const typeErrors = schemaErrors(spec.schema, next);
      if (typeErrors.length > 0) return typeErrors;
      return [
        ...validateObjectMeta(next.metadata, metaRules),
        ...(spec.rules?.(next as T) ?? []),
        ...validateMetaUpdate(next, prev),
        ...(spec.updateRules?.(next as T, prev as T) ?? []),
      ];
    },
  };
  return Object.freeze(def);
}

/** listSchema is the schema of a kind's list (`PodList`): apiVersion, kind, metadata, items. */
export function listSchema(def: KindDefinition): TSchema {
  return obj(
    { ...TypeMeta, metadata: opt(ListMeta), items: arr(def.schema) },
    `${def.listKind} is a list of ${def.kind} objects.`,
  );
}

/** invalidError builds the 422 SkiffError for an object of this kind that failed validation. */
export function invalidError(
  def: KindDefinition,
  object: KubeObject,
  errors: readonly FieldError[],
): SkiffError {
  const name = object.metadata?.name ?? object.metadata?.generateName ?? '';
  return invalidObjectError({ group: def.group, kind: def.kind, name }, errors);
}

/** splitApiVersion splits `apps/v1` into group and version; `v1` is the core group. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** KindRegistry finds kind definitions by apiVersion and kind, by resource, or by CLI name. */
export class KindRegistry {
  readonly #defs: KindDefinition[] = [];

  constructor(defs: Iterable<KindDefinition> = []) {
    for (const def of defs) this.add(def);
  }

  /** add registers a definition; a second definition of the same version and kind is a fault. */
  add(def: KindDefinition): void {
    if (this.get(def.apiVersion, def.kind) !== undefined)
      throw new Error(`kind ${def.kind} in ${def.apiVersion} is registered twice`);
    this.#defs.push(def);
  }

  /** all lists every registered definition, in registration order. */
  all(): readonly KindDefinition[] {
    return this.#defs;
  }

  /** get finds the definition of an apiVersion and kind. */
  get(apiVersion: string, kind: string): KindDefinition | undefined {
    return this.#defs.find((d) => d.apiVersion === apiVersion && d.kind === kind);
  }

  /** byResource finds the definition serving a group, version and plural resource name. */
  byResource(group: string, version: string, plural: string): KindDefinition | undefined {
    return this.#defs.find(
      (d) => d.group === group && d.version === version && d.plural === plural,
    );
  }

  /** preferred finds the preferred version's definition of a group and kind. */
  preferred(group: string, kind: string): KindDefinition | undefined {
    return this.#defs.find((d) => d.group === group && d.kind === kind && d.preferred);
  }

  /** resolve finds preferred definitions by plural, singular, short name or kind (case-insensitive). */
  resolve(name: string): KindDefinition[] {
    const n = name.toLowerCase();
    const [resource = '', ...groupParts] = n.split('.');
    const group = groupParts.join('.');
    return this.#defs.filter(
      (d) =>
        d.preferred &&
        (group === '' || d.group === group) &&
        (d.plural === resource ||
          d.singular === resource ||
          d.kind.toLowerCase() === resource ||
          d.shortNames.includes(resource)),
    );
  }

  /** groupVersions lists every served apiVersion, core first, each once. */
  groupVersions(): string[] {
    return [...new Set(this.#defs.map((d) => d.apiVersion))];
  }
}
