import semver from 'semver';
import { type ErrorCode, SkiffError } from '../../sdk/errors.ts';
import { isExtensionKey, type PluginDefinition } from '../../sdk/plugin.ts';

/** Candidate is a plugin definition found at a source, not yet registered. */
export interface Candidate {
  readonly def: PluginDefinition;
  /** source is the plugin source as the config wrote it. */
  readonly source: string;
}

/** Refusal is one reason the loader will not start a plugin. */
export interface Refusal {
  readonly code: ErrorCode;
  readonly plugin: string;
  readonly message: string;
}

const who = (def: PluginDefinition): string => `plugin "${def.id}" ${def.version}`;

/**
 * sdkRefusals lists the plugins whose sdk range excludes the running sdk. Pre-releases of the
 * running sdk count as inside a range that covers their release (1.1.0-rc.1 satisfies ^1.0.0).
 */
export function sdkRefusals(candidates: readonly Candidate[], sdkVersion: string): Refusal[] {
  const refusals: Refusal[] = [];
  for (const { def } of candidates) {
    if (semver.satisfies(sdkVersion, def.sdk, { includePrerelease: true })) continue;
    const major = semver.major(sdkVersion);
    const series = major === 0 ? `${major}.${semver.minor(sdkVersion)}.x` : `${major}.x`;
    const skiffFix = semver.gtr(sdkVersion, def.sdk, { includePrerelease: true })
      ? `or run an older skiff whose sdk satisfies ${def.sdk}`
      : `or upgrade skiff to a version whose sdk satisfies ${def.sdk}`;
    refusals.push({
      code: 'PluginIncompatible',
      plugin: def.id,
      message: `${who(def)} needs sdk ${def.sdk} but this skiff provides sdk ${sdkVersion}: install a version of ${def.id} built for sdk ${series}, ${skiffFix}`,
    });
  }
  return refusals;
}

/** duplicateRefusals lists ids used twice and extensions provided twice. */
export function duplicateRefusals(candidates: readonly Candidate[]): Refusal[] {
  const refusals: Refusal[] = [];
  const byId = new Map<string, Candidate>();
  const byExtension = new Map<string, Candidate>();
  for (const c of candidates) {
    const first = byId.get(c.def.id);
    if (first) {
      refusals.push({
        code: 'PluginDuplicate',
        plugin: c.def.id,
        message: `plugin id "${c.def.id}" is used twice: ${first.def.version} from "${first.source}" and ${c.def.version} from "${c.source}": keep only one of them in the cluster config`,
      });
      continue;
    }
    byId.set(c.def.id, c);
    for (const key of c.def.provides) {
      const owner = byExtension.get(key);
      if (owner) {
        refusals.push({
          code: 'PluginDuplicate',
          plugin: c.def.id,
          message: `extension "${key}" is provided by both ${who(owner.def)} and ${who(c.def)}: remove one of them from the cluster config`,
        });
      } else {
        byExtension.set(key, c);
      }
    }
  }
  return refusals;
}

/**
 * requirementRefusals lists requirements nobody meets: an extension no candidate provides,
 * or a core token the parent container does not register.
 */
export function requirementRefusals(
  candidates: readonly Candidate[],
  hasCoreToken: (id: string) => boolean,
): Refusal[] {
  const provided = new Set(candidates.flatMap((c) => c.def.provides));
  const refusals: Refusal[] = [];
  for (const { def } of candidates) {
    for (const req of def.requires ?? []) {
      if (isExtensionKey(req)) {
        if (provided.has(req)) continue;
        refusals.push({
          code: 'PluginMissingRequirement',
          plugin: def.id,
          message: `${who(def)} requires extension "${req}", which no configured plugin provides: add a plugin that provides ${req} to the cluster config, or remove ${def.id}`,
        });
      } else if (!hasCoreToken(req)) {
        refusals.push({
          code: 'PluginMissingRequirement',
          plugin: def.id,
          message: `${who(def)} requires core service "${req}", which this skiff does not register: upgrade skiff to one that offers ${req}, or remove ${def.id}`,
        });
      }
    }
  }
  return refusals;
}

/**
 * registrationOrder sorts candidates so each comes after the providers of what it requires,
 * keeping the config's order otherwise. A cycle is returned as a refusal naming its plugins.
 */
export function registrationOrder(
  candidates: readonly Candidate[],
): { order: Candidate[] } | { refusal: Refusal } {
  const providerOf = new Map<string, Candidate>();
  for (const c of candidates) for (const key of c.def.provides) providerOf.set(key, c);
  const deps = new Map<Candidate, Candidate[]>(
    candidates.map((c) => [
      c,
      (c.def.requires ?? [])
        .map((r) => providerOf.get(r))
        .filter((p): p is Candidate => p !== undefined && p !== c),
    ]),
  );
  const order: Candidate[] = [];
  const placed = new Set<Candidate>();
  while (order.length < candidates.length) {
    const next = candidates.find(
      (c) => !placed.has(c) && (deps.get(c) ?? []).every((d) => placed.has(d)),
    );
    if (!next) {
      const cycle = findCycle(
        candidates.filter((c) => !placed.has(c)),
        deps,
      );
      const names = cycle.map((c) => `"${c.def.id}"`);
      return {
        refusal: {
          code: 'PluginDependencyCycle',
          plugin: cycle[0]?.def.id ?? '',
          message: `plugins ${names.join(' → ')} → ${names[0]} require each other's extensions in a cycle, so none can register first: break the cycle by moving the shared extension into one plugin`,
        },
      };
    }
    order.push(next);
    placed.add(next);
  }
  return { order };
}

function findCycle(rest: Candidate[], deps: Map<Candidate, Candidate[]>): Candidate[] {
  // Every remaining candidate waits on another remaining one, so walking "waits on" edges
  // from any of them must revisit a candidate; the walk from that point is the cycle.
  const path: Candidate[] = [];
  let at = rest[0];
  while (at && !path.includes(at)) {
    path.push(at);
    at = (deps.get(at) ?? []).find((d) => rest.includes(d));
  }
  return at ? path.slice(path.indexOf(at)) : path;
}

/** refusalError turns refusals into one SkiffError carrying the first refusal's code. */
export function refusalError(refusals: readonly Refusal[]): SkiffError {
  const first = refusals[0];
  if (!first) throw new Error('refusalError needs at least one refusal');
  const message =
    refusals.length === 1
      ? first.message
      : `${refusals.length} plugin problems stop start-up:\n${refusals.map((r) => `  - ${r.message}`).join('\n')}`;
  return new SkiffError(first.code, message, {
    causes: refusals.map((r) => ({ reason: r.code, message: r.message, field: r.plugin })),
    details: { kind: 'Plugin', name: first.plugin },
  });
}
