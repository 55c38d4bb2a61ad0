import { describe, expect, it } from 'vitest';
import type { api } from '../../sdk/index.ts';
import { resolveBackends } from './backends.ts';
import { hostMatches, isServed, pathMatches, rewriteTarget, route } from './routes.ts';

const backend = (name: string, number = 80): api.IngressBackend => ({
  service: { name, port: { number } },
});

describe('hostMatches', () => {
  it.each([
    [undefined, 'any.host', true],
    ['foo.bar.com', 'foo.bar.com', true],
    ['foo.bar.com', 'FOO.bar.com', true],
    ['foo.bar.com', 'baz.bar.com', false],
    ['*.foo.com', 'bar.foo.com', true],
    ['*.foo.com', 'baz.bar.foo.com', false],
    ['*.foo.com', 'foo.com', false],
    ['*.foo.com', '.foo.com', false],
  ])('rule %s against %s is %s', (rule, host, want) => {
    expect(hostMatches(rule, host)).toBe(want);
  });
});

describe('pathMatches', () => {
  it.each([
    ['Prefix', '/', '/anything', true],
    ['Prefix', '/foo', '/foo', true],
    ['Prefix', '/foo', '/foo/', true],
    ['Prefix', '/foo', '/foo/bar', true],
    ['Prefix', '/foo', '/foobar', false],
    ['Prefix', '/foo/', '/foo', true],
    ['Prefix', '/aaa/bb', '/aaa/bbb', false],
    ['ImplementationSpecific', '/foo', '/foo/bar', true],
    ['ImplementationSpecific', '/foo', '/foobar', false],
    ['Exact', '/foo', '/foo', true],
    ['Exact', '/foo', '/foo/', false],
    ['Exact', '/foo', '/foo/bar', false],
  ])('%s %s against %s is %s', (type, rule, path, want) => {
    expect(pathMatches(type, rule, path)).toBe(want);
  });
});

const ing = (name: string, spec: api.Ingress['spec'], created = '2026-01-01T00:00:00Z') =>
  ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'default', creationTimestamp: created },
    spec,
  }) as api.Ingress;

describe('route', () => {
  const a = ing('a', {
    rules: [
      {
        http: {
          paths: [
            { path: '/foo', pathType: 'Prefix', backend: backend('prefix-foo') },
            { path: '/foo', pathType: 'Exact', backend: backend('exact-foo') },
            { path: '/foo/bar', pathType: 'Prefix', backend: backend('foo-bar') },
          ],
        },
      },
      {
        host: 'a.example.com',
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('host-a') }] },
      },
      {
        host: 'only.example.com',
        http: { paths: [{ path: '/only', pathType: 'Exact', backend: backend('only') }] },
      },
      {
        host: '*.example.com',
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('wild') }] },
      },
    ],
  });
  const d = ing('d', { defaultBackend: backend('fallback') }, '2026-01-02T00:00:00Z');
  it.each([
    ['x', '/foo', 'exact-foo'],
    ['x', '/foo/', 'prefix-foo'],
    ['x', '/foo/baz', 'prefix-foo'],
    ['x', '/foo/bar/baz', 'foo-bar'],
    ['x', '/foobar', 'fallback'],
    ['a.example.com', '/foo', 'host-a'],
    ['b.example.com', '/foo', 'wild'],
    ['c.b.example.com', '/foo', 'exact-foo'],
    ['only.example.com', '/other', 'fallback'],
    ['only.example.com', '/foo', 'fallback'],
  ])('host %s path %s goes to %s', (host, path, want) => {
    expect(route([d, a], host, path)?.backend.service?.name).toBe(want);
  });
  it('finds nothing without a match or default backend', () => {
    expect(route([a], 'x', '/nothing')).toBeUndefined();
  });
});

describe('isServed', () => {
  const ours = { metadata: { name: 'skiff' }, spec: { controller: 'skiff.io/ingress-http' } };
  const other = { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } };
  const defaultOurs = {
    ...ours,
    metadata: {
      name: 'skiff',
      annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' },
    },
  };
  const opts = { controller: 'skiff.io/ingress-http', withoutClass: false };
  const named = (cls?: string, legacy?: string) =>
    ({
      metadata: {
        name: 'i',
        ...(legacy ? { annotations: { 'kubernetes.io/ingress.class': legacy } } : {}),
      },
      spec: cls ? { ingressClassName: cls } : {},
    }) as api.Ingress;
  it.each([
    ['our class', named('skiff'), [ours, other], opts, true],
    ['another controller', named('nginx'), [ours, other], opts, false],
    ['an absent class', named('gone'), [ours], opts, false],
    ['legacy annotation of ours', named(undefined, 'skiff'), [ours], opts, true],
    ['legacy annotation of another', named(undefined, 'nginx'), [ours, other], opts, false],
    ['no class, ours not default', named(), [ours], opts, false],
    ['no class, ours default', named(), [defaultOurs], opts, true],
    ['no class, without-class on', named(), [], { ...opts, withoutClass: true }, true],
  ])('%s', (_what, ingress, classes, o, want) => {
    expect(isServed(ingress, classes as api.IngressClass[], o)).toBe(want);
  });
});

describe('resolveBackends', () => {
  const svc = {
    metadata: { name: 's' },
    spec: {
      ports: [
        { name: 'http', port: 80, targetPort: 8080 },
        { name: 'admin', port: 9000, targetPort: 'admin' },
      ],
    },
  } as api.Service;
  const eps = {
    metadata: { name: 's' },
    subsets: [
      {
        addresses: [{ ip: '10.0.0.1' }],
        notReadyAddresses: [{ ip: '10.0.0.2' }],
        ports: [
          { name: 'http', port: 8080 },
          { name: 'admin', port: 9100 },
        ],
      },
    ],
  } as api.Endpoints;
  it('resolves by number and by name to ready addresses only', () => {
    expect(resolveBackends(backend('s', 80), svc, eps)).toEqual({
      targets: [{ ip: '10.0.0.1', port: 8080 }],
    });
    expect(resolveBackends({ service: { name: 's', port: { name: 'admin' } } }, svc, eps)).toEqual({
      targets: [{ ip: '10.0.0.1', port: 9100 }],
    });
  });
  it('says why nothing answers', () => {
    expect(resolveBackends(backend('s', 81), svc, eps)).toEqual({
      unavailable: 'service s has no port 81',
    });
    expect(resolveBackends(backend('s'), undefined, eps)).toEqual({
      unavailable: 'service s does not exist',
    });
    expect(resolveBackends(backend('s'), svc, { ...eps, subsets: [] })).toEqual({
      unavailable: 'service s has no ready endpoints on port http',
    });
  });
});

describe('rewrite-target and regex paths', () => {
  const annotated = (annotations: Record<string, string>, path: string, pathType: string) =>
    ({
      metadata: { name: 'r', namespace: 'default', annotations },
      spec: { rules: [{ http: { paths: [{ path, pathType, backend: backend('s') }] } }] },
    }) as api.Ingress;
  const rewrite = { 'nginx.ingress.kubernetes.io/rewrite-target': '/' };
  it.each([
    [rewrite, '/service1', 'ImplementationSpecific', '/service1/a?x=1', '/?x=1'],
    [rewrite, '/service1', 'Prefix', '/service1/a', '/'],
    [
      { 'nginx.ingress.kubernetes.io/rewrite-target': '/$2' },
      '/app(/|$)(.*)',
      'ImplementationSpecific',
      '/app/x/y?q',
      '/x/y?q',
    ],
    [{}, '/service1', 'ImplementationSpecific', '/service1/a', '/service1/a'],
  ])('%o %s (%s) sends %s as %s', (annotations, path, type, url, want) => {
    const found = route([annotated(annotations, path, type)], 'h', url.split('?')[0] ?? '');
    expect(found).toBeDefined();
    expect(rewriteTarget(found as NonNullable<typeof found>, url)).toBe(want);
  });
  it('matches regex paths only where the annotations ask for them', () => {
    const regexPath = '/app(/|$)(.*)';
    expect(
      route([annotated(rewrite, regexPath, 'ImplementationSpecific')], 'h', '/app/x'),
    ).toBeDefined();
    expect(
      route([annotated({}, regexPath, 'ImplementationSpecific')], 'h', '/app/x'),
    ).toBeUndefined();
    expect(route([annotated(rewrite, '/[', 'ImplementationSpecific')], 'h', '/x')).toBeUndefined();
  });
});
