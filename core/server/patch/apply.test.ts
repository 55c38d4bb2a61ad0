import { describe, expect, it } from 'vitest';
import { builtinKindRegistry } from '../../../sdk/api/builtin-kinds.ts';
import type { KubeObject } from '../../../sdk/api/meta.ts';
import { isSkiffError, type SkiffError } from '../../../sdk/errors.ts';
import { applyPatch, type PatchContext, recordUpdate } from './index.ts';

// biome-ignore lint/suspicious/noExplicitAny: test fixtures are poked freely
type Doc = Record<string, any>;

const apply = 'application/apply-patch+yaml';
const def = builtinKindRegistry().get('apps/v1', 'Deployment');
if (def === undefined) throw new Error('Deployment is not registered');
const now = new Date('2026-01-02T03:04:05Z');
const as = (fieldManager: string, force = false): PatchContext => ({
  def,
  name: 'nginx',
  fieldManager,
  force,
  now,
});

function ok(result: KubeObject | SkiffError): Doc {
  if (isSkiffError(result)) throw new Error(`unexpected ${result.code}: ${result.message}`);
  return result as Doc;
}
function fail(result: KubeObject | SkiffError): SkiffError {
  if (!isSkiffError(result)) throw new Error(`expected an error, got ${JSON.stringify(result)}`);
  return result;
}

/** manifest is what `kubectl apply --server-side` sends for a small nginx Deployment. */
const manifest = (
  extra: { replicas?: number; image?: string; labels?: Record<string, string>; env?: boolean } = {},
) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'nginx', labels: extra.labels ?? { app: 'nginx' } },
  spec: {
    ...(extra.replicas === undefined ? {} : { replicas: extra.replicas }),
    selector: { matchLabels: { app: 'nginx' } },
    template: {
      metadata: { labels: { app: 'nginx' } },
      spec: {
        containers: [
          {
            name: 'nginx',
            image: extra.image ?? 'nginx:1.27',
            ...(extra.env === true ? { env: [{ name: 'MODE', value: 'x' }] } : {}),
          },
        ],
      },
    },
  },
});

/** stored mimics what the server keeps: the applied result plus server-set fields. */
const stored = (o: Doc): KubeObject => ({
  ...o,
  metadata: {
    ...o.metadata,
    namespace: 'default',
    uid: 'u-1',
    resourceVersion: '5',
    generation: 1,
  },
  status: { replicas: 1 },
});

describe('server-side apply', () => {
  it('creates a missing object with an Apply managedFields entry', () => {
    const out = ok(
      applyPatch(apply, undefined, JSON.stringify(manifest({ replicas: 2 })), as('kubectl')),
    );
    expect(out.spec.replicas).toBe(2);
    expect(out.metadata.managedFields).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: '2026-01-02T03:04:05Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { 'f:app': {} } },
              'f:spec': {
                'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:name': {}, 'f:image': {} } },
              },
            },
          },
        },
      },
    ]);
  });

  it('accepts a YAML body', () => {
    const yaml =
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: nginx\nspec:\n  replicas: 4\n';
    expect(ok(applyPatch(apply, undefined, yaml, as('kubectl'))).spec.replicas).toBe(4);
  });

  it('updates fields it owns and keeps fields set by the server', () => {
    const live = stored(ok(applyPatch(apply, undefined, manifest({ replicas: 2 }), as('kubectl'))));
    const out = ok(
      applyPatch(apply, live, manifest({ replicas: 3, image: 'nginx:1.28' }), as('kubectl')),
    );
    expect(out.spec.replicas).toBe(3);
    expect(out.spec.template.spec.containers).toEqual([{ name: 'nginx', image: 'nginx:1.28' }]);
    expect(out.metadata.uid).toBe('u-1');
    expect(out.status).toEqual({ replicas: 1 });
    expect(out.metadata.managedFields).toHaveLength(1);
  });

  it('removes a field the same manager applied before and no longer applies', () => {
    const first = stored(
      ok(
        applyPatch(
          apply,
          undefined,
          manifest({ replicas: 2, env: true, labels: { app: 'nginx', tier: 'web' } }),
          as('kubectl'),
        ),
      ),
    );
    const out = ok(applyPatch(apply, first, manifest({ env: false }), as('kubectl')));
    expect(out.spec.replicas).toBeUndefined();
    expect(out.spec.template.spec.containers[0].env).toBeUndefined();
    expect(out.metadata.labels).toEqual({ app: 'nginx' });
    expect(JSON.stringify(out.metadata.managedFields)).not.toContain('f:replicas');
  });

  it('keeps a field the applier dropped while another manager also owns it', () => {
    const first = stored(
      ok(applyPatch(apply, undefined, manifest({ replicas: 2 }), as('kubectl'))),
    );
    const shared = stored(ok(applyPatch(apply, first, manifest({ replicas: 2 }), as('other'))));
    const out = ok(applyPatch(apply, shared, manifest({}), as('kubectl')));
    expect(out.spec.replicas).toBe(2);
  });

  it('removes a keyed list item the manager no longer applies', () => {
    const two = manifest();
    two.spec.template.spec.containers.push({ name: 'sidecar', image: 'busybox' });
    const first = stored(ok(applyPatch(apply, undefined, two, as('kubectl'))));
    const out = ok(applyPatch(apply, first, manifest(), as('kubectl')));
    expect(out.spec.template.spec.containers.map((c: Doc) => c.name)).toEqual(['nginx']);
  });

  it("answers 409 in Kubernetes' form when another manager owns a changed field", () => {
    const live = stored(ok(applyPatch(apply, undefined, manifest({ replicas: 2 }), as('kubectl'))));
    const updated = recordUpdate(
      live,
      { ...live, spec: { ...(live.spec as object), replicas: 5 } },
      { manager: 'kubectl-scale', apiVersion: 'apps/v1', now, subresource: 'scale' },
    );
    const err = fail(applyPatch(apply, updated, manifest({ replicas: 3 }), as('kubectl')));
    expect(err.code).toBe('Conflict');
    expect(err.message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl-scale" with subresource "scale" using apps/v1: .spec.replicas',
    );
    expect(err.causes).toEqual([
      {
        reason: 'FieldManagerConflict',
        message: 'conflict with "kubectl-scale" with subresource "scale" using apps/v1',
        field: '.spec.replicas',
      },
    ]);
  });

  it('lists several conflicts grouped by manager', () => {
    const live = stored(ok(applyPatch(apply, undefined, manifest({ replicas: 2 }), as('a'))));
    const err = fail(applyPatch(apply, live, manifest({ replicas: 3, image: 'nginx:2' }), as('b')));
    expect(err.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "a":\n- .spec.replicas\n- .spec.template.spec.containers[name="nginx"].image',
    );
  });

  it('applies an equal value without conflict and shares the field', () => {
    const live = stored(ok(applyPatch(apply, undefined, manifest({ replicas: 2 }), as('a'))));
    const out = ok(applyPatch(apply, live, manifest({ replicas: 2 }), as('b')));
    expect(out.metadata.managedFields.map((e: Doc) => e.manager)).toEqual(['a', 'b']);
  });

  it('takes ownership with force', () => {
    const live = stored(ok(applyPatch(apply, undefined, manifest({ replicas: 2 }), as('a'))));
    const out = ok(applyPatch(apply, live, manifest({ replicas: 3 }), as('b', true)));
    expect(out.spec.replicas).toBe(3);
    const a = out.metadata.managedFields.find((e: Doc) => e.manager === 'a');
    expect(a.fieldsV1['f:spec']['f:replicas']).toBeUndefined();
    const again = ok(applyPatch(apply, stored(out), manifest({}), as('b')));
    expect(again.spec.replicas).toBeUndefined();
  });

  it('credits the fields of an object without managedFields to before-first-apply', () => {
    const live = stored({ ...manifest({ replicas: 1 }) });
    const err = fail(applyPatch(apply, live, manifest({ replicas: 3 }), as('kubectl')));
    expect(err.message).toBe(
      'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas',
    );
  });

  it.each([
    { name: 'no fieldManager', body: manifest(), ctx: { def, name: 'nginx' }, code: 'Invalid' },
    {
      name: 'no kind',
      body: { apiVersion: 'apps/v1', metadata: { name: 'nginx' } },
      ctx: as('k'),
      code: 'BadRequest',
    },
    {
      name: 'another kind',
      body: { ...manifest(), kind: 'ReplicaSet' },
      ctx: as('k'),
      code: 'BadRequest',
    },
    {
      name: 'another name',
      body: { ...manifest(), metadata: { name: 'other' } },
      ctx: as('k'),
      code: 'BadRequest',
    },
    {
      name: 'managedFields set',
      body: { ...manifest(), metadata: { name: 'nginx', managedFields: [] } },
      ctx: as('k'),
      code: 'BadRequest',
    },
    { name: 'a list', body: '[1]', ctx: as('k'), code: 'BadRequest' },
    { name: 'bad YAML', body: 'a: [', ctx: as('k'), code: 'BadRequest' },
  ])('refuses a bad apply: $name', ({ body, ctx, code }) => {
    expect(fail(applyPatch(apply, undefined, body, ctx)).code).toBe(code);
  });
});
