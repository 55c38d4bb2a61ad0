// Kubernetes' Ingress matching rules as pure functions: which Ingresses this controller serves
// (IngressClass), and which backend a request's host and path reach.
import type { api } from '../../sdk/index.ts';

/** ingressControllerName is the spec.controller value of IngressClasses this plugin serves. */
export const ingressControllerName = 'skiff.io/ingress-http';

const rewriteAnnotation = 'nginx.ingress.kubernetes.io/rewrite-target';
const regexAnnotation = 'nginx.ingress.kubernetes.io/use-regex';
const legacyClassAnnotation = 'kubernetes.io/ingress.class';
const defaultClassAnnotation = 'ingressclass.kubernetes.io/is-default-class';

/** ClassOptions say which Ingresses are ours. */
export interface ClassOptions {
  readonly controller: string;
  /** withoutClass serves Ingresses naming no class even when no default class is ours. */
  readonly withoutClass: boolean;
}

/** isServed tells whether an Ingress belongs to this controller through its class. */
export function isServed(
  ingress: api.Ingress,
  classes: readonly api.IngressClass[],
  opts: ClassOptions,
): boolean {
  const named =
    ingress.spec?.ingressClassName ?? ingress.metadata?.annotations?.[legacyClassAnnotation];
  if (named !== undefined && named !== '') {
    const cls = classes.find((c) => c.metadata?.name === named);
    return cls?.spec?.controller === opts.controller;
  }
  if (opts.withoutClass) return true;
  return classes.some(
    (c) =>
      c.spec?.controller === opts.controller &&
      c.metadata?.annotations?.[defaultClassAnnotation] === 'true',
  );
}

/** hostMatches applies a rule's host: empty matches all, `*.a.b` matches exactly one label. */
export function hostMatches(ruleHost: string | undefined, host: string): boolean {
  if (ruleHost === undefined || ruleHost === '') return true;
  const want = ruleHost.toLowerCase();
  const got = host.toLowerCase();
  if (!want.startsWith('*.')) return want === got;
  const suffix = want.slice(1);
  if (!got.endsWith(suffix)) return false;
  const label = got.slice(0, got.length - suffix.length);
  return label !== '' && !label.includes('.');
}

// Paths are regular expressions, anchored at the start and case-blind, in Ingresses that use
// ingress-nginx's rewrite-target or use-regex annotations with pathType ImplementationSpecific.
function regexOf(rulePath: string): RegExp | undefined {
  try {
    return new RegExp(`^${rulePath}`, 'i');
  } catch {
    return undefined;
  }
}

const usesRegex = (ingress: api.Ingress) => {
  const a = ingress.metadata?.annotations ?? {};
  return a[rewriteAnnotation] !== undefined || a[regexAnnotation] === 'true';
};

const segments = (p: string) => p.split('/').filter((s) => s !== '');

/**
 * pathMatches applies one path of a rule. Exact compares the whole path; Prefix (and
 * ImplementationSpecific, which this controller reads as Prefix) compares whole `/` elements,
 * so /foo matches /foo and /foo/bar but not /foobar.
 */
export function pathMatches(
  pathType: string | undefined,
  rulePath: string,
  path: string,
  regex = false,
): boolean {
  if (pathType === 'Exact') return rulePath === path;
  if (regex && pathType === 'ImplementationSpecific') return regexOf(rulePath)?.test(path) ?? false;
  const want = segments(rulePath);
  const got = segments(path);
  return want.length <= got.length && want.every((s, i) => s === got[i]);
}

/** Route is what a request reached: the backend and the Ingress it came from. */
export interface Route {
  readonly ingress: api.Ingress;
  readonly backend: api.IngressBackend;
  /** path is the rule path that matched (none for a default backend). */
  readonly path?: string;
  readonly pathType?: string;
}

interface Candidate extends Route {
  readonly length: number;
  readonly exact: boolean;
}

const hostTier = (ruleHost: string | undefined) =>
  ruleHost === undefined || ruleHost === '' ? 2 : ruleHost.startsWith('*.') ? 1 : 0;

/** ingressOrder sorts oldest first, then by namespace and name, so conflicts resolve stably. */
export function ingressOrder(a: api.Ingress, b: api.Ingress): number {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata?.namespace}/${a.metadata?.name}`;
  const kb = `${b.metadata?.namespace}/${b.metadata?.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * route finds the backend of a request among served Ingresses. As a web server picks one
 * virtual host, the request belongs to the precise host's rules if any Ingress has them, else
 * to the matching wildcard's, else to the rules without host; within those the longest
 * matching path wins and Exact beats Prefix of the same length. With no path matched, the
 * oldest defaultBackend answers; with none, undefined (404).
 */
export function route(
  ingresses: readonly api.Ingress[],
  host: string,
  path: string,
): Route | undefined {
  const sorted = [...ingresses].sort(ingressOrder);
  let tier = 3;
  for (const ingress of sorted)
    for (const rule of ingress.spec?.rules ?? [])
      if (hostMatches(rule.host, host)) tier = Math.min(tier, hostTier(rule.host));
  let best: Candidate | undefined;
  for (const ingress of sorted)
    for (const rule of ingress.spec?.rules ?? []) {
      if (!hostMatches(rule.host, host) || hostTier(rule.host) !== tier) continue;
      for (const p of rule.http?.paths ?? []) {
        const rulePath = p.path ?? '/';
        if (!pathMatches(p.pathType, rulePath, path, usesRegex(ingress))) continue;
        const exact = p.pathType === 'Exact';
        const length = exact ? rulePath.length : rulePath.replace(/\/+$/, '').length;
        if (
          best === undefined ||
          length > best.length ||
          (length === best.length && exact && !best.exact)
        )
          best = {
            ingress,
            backend: p.backend,
            path: rulePath,
            pathType: p.pathType,
            length,
            exact,
          };
      }
    }
  if (best)
    return {
      ingress: best.ingress,
      backend: best.backend,
      path: best.path,
      pathType: best.pathType,
    };
  const fallback = sorted.find((i) => i.spec?.defaultBackend !== undefined);
  const backend = fallback?.spec?.defaultBackend;
  return fallback && backend ? { ingress: fallback, backend } : undefined;
}

/**
 * rewriteTarget applies ingress-nginx's rewrite-target annotation, which manifests written for
 * it (the seed's) rely on: the request path becomes the annotation's value, with `$1`, `$2`
 * the groups the rule path captured; the query string is kept.
 */
export function rewriteTarget(found: Route, url: string): string {
  const target = found.ingress.metadata?.annotations?.[rewriteAnnotation];
  if (target === undefined || found.path === undefined) return url;
  const at = url.indexOf('?');
  const path = at < 0 ? url : url.slice(0, at);
  const query = at < 0 ? '' : url.slice(at);
  const m =
    found.pathType === 'ImplementationSpecific'
      ? regexOf(found.path)?.exec(path)
      : ([path] as RegExpExecArray);
  if (!m) return url;
  const out = target.replace(/\$(\d)/g, (_all, n: string) => m[Number(n)] ?? '');
  return (out.startsWith('/') ? out : `/${out}`) + query;
}
