import { describe, expect, it } from 'vitest';
import { builtinKindRegistry } from '../../../sdk/api/builtin-kinds.ts';
import type { KubeObject } from '../../../sdk/api/meta.ts';
import { isSkiffError, type SkiffError } from '../../../sdk/errors.ts';
import { applyPatch, fieldInfo, mergeKeys, openApiExtensions, type PatchContext } from './index.ts';

// biome-ignore lint/suspicious/noExplicitAny: test fixtures are poked freely
type Doc = Record<string, any>;

const kinds = builtinKindRegistry();
const ctxOf = (
  apiVersion: string,
  kind: string,
  extra: Partial<PatchContext> = {},
): PatchContext => {
  const def = kinds.get(apiVersion, kind);
  if (def === undefined) throw new Error(`no kind ${kind}`);
  return { def, name: 'web', now: new Date('2026-01-02T03:04:05.678Z'), ...extra };
};
const deployCtx = ctxOf('apps/v1', 'Deployment');
const podCtx = ctxOf('v1', 'Pod');
const smp = 'application/strategic-merge-patch+json';

const deployment = (): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'default',
    resourceVersion: '7',
    labels: { app: 'web' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"old":true}' },
    finalizers: ['a', 'b'],
  },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          {
            name: 'nginx',
            image: 'nginx:1.27',
            ports: [{ containerPort: 80, protocol: 'TCP' }],
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
          { name: 'sidecar', image: 'busybox' },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
        imagePullSecrets: [{ name: 'reg' }],
        tolerations: [{ key: 'x', operator: 'Exists' }],
      },
    },
  },
});

function ok(result: KubeObject | SkiffError): Doc {
  if (isSkiffError(result)) throw new Error(`unexpected ${result.code}: ${result.message}`);
  return result as Doc;
}
function fail(result: KubeObject | SkiffError): SkiffError {
  if (!isSkiffError(result)) throw new Error(`expected an error, got ${JSON.stringify(result)}`);
  return result;
}
const podSpec = (o: Doc) => o.spec.template.spec;

describe('strategic merge patch', () => {
  it.each([
    {
      name: 'kubectl apply replicas change with the last-applied annotation',
      patch: {
        metadata: {
          annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"new":true}' },
        },
        spec: { replicas: 3 },
      },
      check: (o: Doc) => {
        expect(o.spec.replicas).toBe(3);
        expect(o.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toBe(
          '{"new":true}',
        );
        expect(o.metadata.labels).toEqual({ app: 'web' });
        expect(podSpec(o).containers).toHaveLength(2);
      },
    },
    {
      name: 'kubectl apply image change with $setElementOrder/containers',
      patch: {
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'nginx' }],
              containers: [{ image: 'nginx:1.28', name: 'nginx' }],
            },
          },
        },
      },
      check: (o: Doc) => {
        const [c0, c1] = podSpec(o).containers;
        expect(c0.image).toBe('nginx:1.28');
        expect(c0.env).toHaveLength(2);
        expect(c1.name).toBe('sidecar');
        expect(JSON.stringify(o)).not.toContain('$setElementOrder');
      },
    },
    {
      name: '$setElementOrder reorders containers named in it',
      patch: {
        spec: {
          template: {
            spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'nginx' }] },
          },
        },
      },
      check: (o: Doc) =>
        expect(podSpec(o).containers.map((c: Doc) => c.name)).toEqual(['sidecar', 'nginx']),
    },
    {
      name: 'new container appended, env merged by name, port by containerPort, mount by mountPath',
      patch: {
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: 'nginx',
                  env: [
                    { name: 'B', value: 'two' },
                    { name: 'C', value: '3' },
                  ],
                  ports: [{ containerPort: 443 }],
                  volumeMounts: [{ mountPath: '/data', readOnly: true }],
                },
                { name: 'extra', image: 'redis' },
              ],
            },
          },
        },
      },
      check: (o: Doc) => {
        const [c0, , c2] = podSpec(o).containers;
        expect(c0.env).toEqual([
          { name: 'A', value: '1' },
          { name: 'B', value: 'two' },
          { name: 'C', value: '3' },
        ]);
        expect(c0.ports.map((p: Doc) => p.containerPort)).toEqual([80, 443]);
        expect(c0.volumeMounts).toEqual([{ name: 'data', mountPath: '/data', readOnly: true }]);
        expect(c2).toEqual({ name: 'extra', image: 'redis' });
      },
    },
    {
      name: 'volumes and imagePullSecrets merge by name',
      patch: {
        spec: {
          template: {
            spec: {
              volumes: [{ name: 'cache', emptyDir: {} }],
              imagePullSecrets: [{ name: 'other' }],
            },
          },
        },
      },
      check: (o: Doc) => {
        expect(podSpec(o).volumes.map((v: Doc) => v.name)).toEqual(['data', 'cache']);
        expect(podSpec(o).imagePullSecrets).toEqual([{ name: 'reg' }, { name: 'other' }]);
      },
    },
    {
      name: 'tolerations are atomic: the patch list replaces',
      patch: { spec: { template: { spec: { tolerations: [{ key: 'y', operator: 'Exists' }] } } } },
      check: (o: Doc) => expect(podSpec(o).tolerations).toEqual([{ key: 'y', operator: 'Exists' }]),
    },
    {
      name: '$patch: delete removes a keyed item',
      patch: {
        spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } },
      },
      check: (o: Doc) => expect(podSpec(o).containers.map((c: Doc) => c.name)).toEqual(['nginx']),
    },
    {
      name: 'kubectl apply dropping a container and an env var',
      patch: {
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'nginx' }],
              containers: [
                {
                  name: 'nginx',
                  '$setElementOrder/env': [{ name: 'A' }],
                  env: [{ $patch: 'delete', name: 'B' }],
                },
                { $patch: 'delete', name: 'sidecar' },
              ],
            },
          },
        },
      },
      check: (o: Doc) => {
        expect(podSpec(o).containers.map((c: Doc) => c.name)).toEqual(['nginx']);
        expect(podSpec(o).containers[0].env).toEqual([{ name: 'A', value: '1' }]);
        expect(JSON.stringify(o)).not.toContain('$');
      },
    },
    {
      name: '$patch: replace in a list replaces the whole list',
      patch: {
        spec: {
          template: { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'x' }] } },
        },
      },
      check: (o: Doc) => expect(podSpec(o).containers).toEqual([{ name: 'only', image: 'x' }]),
    },
    {
      name: '$patch: replace on a map replaces the map',
      patch: { metadata: { labels: { $patch: 'replace', tier: 'front' } } },
      check: (o: Doc) => expect(o.metadata.labels).toEqual({ tier: 'front' }),
    },
    {
      name: '$patch: delete on a map removes it',
      patch: { spec: { strategy: { $patch: 'delete' } } },
      check: (o: Doc) => expect(o.spec.strategy).toBeUndefined(),
    },
    {
      name: '$patch: merge is the default and is not stored',
      patch: { metadata: { labels: { $patch: 'merge', tier: 'front' } } },
      check: (o: Doc) => expect(o.metadata.labels).toEqual({ app: 'web', tier: 'front' }),
    },
    {
      name: '$retainKeys drops the fields not listed (strategy type switch)',
      patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
      check: (o: Doc) => expect(o.spec.strategy).toEqual({ type: 'Recreate' }),
    },
    {
      name: '$retainKeys as kubectl sends it, with the dropped field set to null',
      patch: {
        spec: { strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } },
      },
      check: (o: Doc) => expect(o.spec.strategy).toEqual({ type: 'Recreate' }),
    },
    {
      name: '$retainKeys inside a volume switches its source',
      patch: {
        spec: {
          template: {
            spec: {
              volumes: [
                { $retainKeys: ['configMap', 'name'], configMap: { name: 'cfg' }, name: 'data' },
              ],
            },
          },
        },
      },
      check: (o: Doc) =>
        expect(podSpec(o).volumes).toEqual([{ name: 'data', configMap: { name: 'cfg' } }]),
    },
    {
      name: 'finalizers merge as a set',
      patch: { metadata: { finalizers: ['b', 'c'] } },
      check: (o: Doc) => expect(o.metadata.finalizers).toEqual(['a', 'b', 'c']),
    },
    {
      name: '$deleteFromPrimitiveList removes set members',
      patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } },
      check: (o: Doc) => expect(o.metadata.finalizers).toEqual(['b']),
    },
    {
      name: '$setElementOrder on a primitive list',
      patch: { metadata: { '$setElementOrder/finalizers': ['b', 'a'] } },
      check: (o: Doc) => expect(o.metadata.finalizers).toEqual(['b', 'a']),
    },
    {
      name: 'null deletes a field',
      patch: {
        metadata: { annotations: null },
        spec: { template: { spec: { containers: [{ name: 'nginx', ports: null }] } } },
      },
      check: (o: Doc) => {
        expect(o.metadata.annotations).toBeUndefined();
        expect(podSpec(o).containers[0].ports).toBeUndefined();
      },
    },
  ])('$name', ({ patch, check }) => {
    const before = deployment();
    const result = ok(applyPatch(smp, before, JSON.stringify(patch), deployCtx));
    check(result);
    expect(before).toEqual(deployment());
  });

  it('merges service ports by port', () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] },
    };
    const out = ok(
      applyPatch(
        smp,
        svc,
        { spec: { ports: [{ port: 80, nodePort: 31515 }] } },
        ctxOf('v1', 'Service'),
      ),
    );
    expect(out.spec.ports).toEqual([
      { port: 80, targetPort: 8080, nodePort: 31515 },
      { port: 443 },
    ]);
  });

  it('merges hostAliases by ip and pod conditions by type', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web' },
      spec: { hostAliases: [{ ip: '1.1.1.1', hostnames: ['a'] }] },
      status: {
        conditions: [
          { type: 'Ready', status: 'False' },
          { type: 'Initialized', status: 'True' },
        ],
      },
    };
    const out = ok(
      applyPatch(
        smp,
        pod,
        {
          spec: {
            hostAliases: [
              { ip: '1.1.1.1', hostnames: ['b'] },
              { ip: '2.2.2.2', hostnames: ['c'] },
            ],
          },
          status: { conditions: [{ type: 'Ready', status: 'True' }] },
        },
        podCtx,
      ),
    );
    expect(out.spec.hostAliases).toEqual([
      { ip: '1.1.1.1', hostnames: ['b'] },
      { ip: '2.2.2.2', hostnames: ['c'] },
    ]);
    expect(out.status.conditions).toEqual([
      { type: 'Ready', status: 'True' },
      { type: 'Initialized', status: 'True' },
    ]);
  });

  it('merges a CronJob pod template through jobTemplate', () => {
    const cj = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'web' },
      spec: {
        jobTemplate: {
          spec: {
            template: {
              spec: {
                containers: [
                  { name: 'a', image: '1' },
                  { name: 'b', image: '2' },
                ],
              },
            },
          },
        },
      },
    };
    const out = ok(
      applyPatch(
        smp,
        cj,
        {
          spec: {
            jobTemplate: {
              spec: { template: { spec: { containers: [{ name: 'b', image: '3' }] } } },
            },
          },
        },
        ctxOf('batch/v1', 'CronJob'),
      ),
    );
    expect(out.spec.jobTemplate.spec.template.spec.containers).toEqual([
      { name: 'a', image: '1' },
      { name: 'b', image: '3' },
    ]);
  });

  it.each([
    { name: 'not JSON', body: '{"spec":', code: 'BadRequest' },
    { name: 'not an object', body: '[1,2]', code: 'BadRequest' },
    {
      name: 'keyed item without its merge key',
      body: '{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}',
      code: 'BadRequest',
    },
    {
      name: 'unknown $patch',
      body: '{"metadata":{"labels":{"$patch":"explode"}}}',
      code: 'BadRequest',
    },
    {
      name: '$retainKeys not a list',
      body: '{"spec":{"strategy":{"$retainKeys":"type"}}}',
      code: 'BadRequest',
    },
    {
      name: 'patch fields outside $retainKeys',
      body: '{"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{}}}}',
      code: 'Invalid',
    },
    {
      name: '$deleteFromPrimitiveList of maps',
      body: '{"metadata":{"$deleteFromPrimitiveList/finalizers":[{"a":1}]}}',
      code: 'BadRequest',
    },
    {
      name: '$setElementOrder not a list',
      body: '{"metadata":{"$setElementOrder/finalizers":"a"}}',
      code: 'BadRequest',
    },
    {
      name: 'list of lists',
      body: '{"spec":{"template":{"spec":{"containers":[[1]]}}}}',
      code: 'Invalid',
    },
  ])('refuses a malformed patch: $name', ({ body, code }) => {
    expect(fail(applyPatch(smp, deployment(), body, deployCtx)).code).toBe(code);
  });

  it('is refused with 415 for a kind that is not built in', () => {
    const ctx: PatchContext = {
      def: {
        group: 'example.com',
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        plural: 'widgets',
      },
    };
    const err = fail(applyPatch(smp, { apiVersion: 'example.com/v1', kind: 'Widget' }, '{}', ctx));
    expect(err.code).toBe('UnsupportedMediaType');
    expect(err.message).not.toContain('strategic');
  });
});

describe('merge patch and JSON patch', () => {
  it('applies the merge patch kubectl scale sends, null deleting', () => {
    const scale = {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'web' },
      spec: { replicas: 1 },
      status: { replicas: 1 },
    };
    const out = ok(
      applyPatch(
        'application/merge-patch+json; charset=utf-8',
        scale,
        '{"spec":{"replicas":5},"status":null}',
        ctxOf('apps/v1', 'Deployment', { subresource: 'scale' }),
      ),
    );
    expect(out).toEqual({
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'web' },
      spec: { replicas: 5 },
    });
  });

  it('replaces lists whole in a merge patch', () => {
    const out = ok(
      applyPatch(
        'application/merge-patch+json',
        deployment(),
        { spec: { template: { spec: { containers: [{ name: 'x' }] } } } },
        deployCtx,
      ),
    );
    expect(podSpec(out).containers).toEqual([{ name: 'x' }]);
  });

  it('applies the JSON patch of kubectl rollout undo', () => {
    const template = {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'nginx', image: 'nginx:1.26' }] },
    };
    const annotations = { 'deployment.kubernetes.io/revision': '3' };
    const ops = [
      { op: 'replace', path: '/spec/template', value: template },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ];
    const out = ok(
      applyPatch('application/json-patch+json', deployment(), JSON.stringify(ops), deployCtx),
    );
    expect(out.spec.template).toEqual(template);
    expect(out.metadata.annotations).toEqual(annotations);
  });

  it.each([
    {
      name: 'failed test',
      ops: [{ op: 'test', path: '/spec/replicas', value: 9 }],
      code: 'Invalid',
    },
    {
      name: 'missing path',
      ops: [{ op: 'replace', path: '/spec/nothing/here', value: 1 }],
      code: 'Invalid',
    },
    { name: 'unknown op', ops: [{ op: 'frobnicate', path: '/spec' }], code: 'Invalid' },
    { name: 'not a list', ops: { op: 'add' }, code: 'BadRequest' },
    { name: 'a list of scalars', ops: [1], code: 'BadRequest' },
  ])('answers a JSON patch that cannot apply ($name) as Kubernetes does', ({ ops, code }) => {
    const err = fail(
      applyPatch('application/json-patch+json', deployment(), JSON.stringify(ops), deployCtx),
    );
    expect(err.code).toBe(code);
    if (code === 'Invalid') {
      expect(err.message).toBe('the server rejected our request due to an error in our request');
      expect(err.causes[0]?.reason).toBe('UnexpectedServerResponse');
    }
  });

  it.each([
    { type: 'application/json', code: 'UnsupportedMediaType' },
    { type: 'text/plain', code: 'UnsupportedMediaType' },
  ])('answers $type with 415', ({ type, code }) => {
    const err = fail(applyPatch(type, deployment(), '{}', deployCtx));
    expect(err.code).toBe(code);
    expect(err.message).toContain('application/strategic-merge-patch+json');
  });

  it('answers 409 when the patch names another resourceVersion', () => {
    const err = fail(
      applyPatch(
        'application/merge-patch+json',
        deployment(),
        { metadata: { resourceVersion: '3' }, spec: { replicas: 2 } },
        deployCtx,
      ),
    );
    expect(err.code).toBe('Conflict');
    expect(err.message).toBe(
      'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it('answers 404 for a patch of a missing object', () => {
    const err = fail(applyPatch(smp, undefined, '{}', deployCtx));
    expect(err.code).toBe('NotFound');
    expect(err.message).toBe('deployments.apps "web" not found');
  });

  it('refuses force on a non-apply patch', () => {
    const err = fail(applyPatch(smp, deployment(), '{}', { ...deployCtx, force: true }));
    expect(err.code).toBe('Invalid');
    expect(err.causes[0]?.field).toBe('force');
  });

  it('records the fields a non-apply patch changed for its field manager', () => {
    const out = ok(
      applyPatch(
        smp,
        deployment(),
        { spec: { replicas: 4 } },
        { ...deployCtx, fieldManager: 'kubectl-client-side-apply' },
      ),
    );
    expect(out.metadata.managedFields).toEqual([
      {
        manager: 'kubectl-client-side-apply',
        operation: 'Update',
        apiVersion: 'apps/v1',
        fieldsType: 'FieldsV1',
        time: '2026-01-02T03:04:05Z',
        fieldsV1: { 'f:spec': { 'f:replicas': {} } },
      },
    ]);
  });
});

describe('the merge-key table', () => {
  it('covers every built-in kind, so each accepts strategic merge patch', () => {
    for (const def of builtinKindRegistry().all()) {
      const out = applyPatch(
        smp,
        { apiVersion: def.apiVersion, kind: def.kind, metadata: { name: 'x' } },
        { metadata: { labels: { a: 'b' } } },
        { def },
      );
      expect(isSkiffError(out) ? `${def.kind}: ${out.message}` : def.kind).toBe(def.kind);
    }
  });

  it.each([
    [
      'io.k8s.api.core.v1.PodSpec',
      'volumes',
      {
        'x-kubernetes-patch-merge-key': 'name',
        'x-kubernetes-patch-strategy': 'merge,retainKeys',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      },
    ],
    [
      'io.k8s.api.core.v1.ServiceSpec',
      'ports',
      {
        'x-kubernetes-patch-merge-key': 'port',
        'x-kubernetes-patch-strategy': 'merge',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['port', 'protocol'],
      },
    ],
    ['io.k8s.api.core.v1.ServiceSpec', 'selector', { 'x-kubernetes-map-type': 'atomic' }],
    ['io.k8s.api.core.v1.PodSpec', 'tolerations', { 'x-kubernetes-list-type': 'atomic' }],
    [
      'io.k8s.api.apps.v1.DeploymentSpec',
      'strategy',
      { 'x-kubernetes-patch-strategy': 'retainKeys' },
    ],
    ['io.k8s.api.core.v1.PodSpec', 'hostname', {}],
  ])('gives the OpenAPI extensions of %s.%s', (definition, field, want) => {
    expect(openApiExtensions(fieldInfo(definition, field))).toEqual(want);
  });

  it('names merge keys and strategies the OpenAPI document can carry', () => {
    expect(mergeKeys['io.k8s.api.core.v1.PodSpec']?.containers).toMatchObject({
      patchMergeKey: 'name',
      patchStrategy: 'merge',
      listType: 'map',
    });
    expect(mergeKeys['io.k8s.api.core.v1.Container']?.ports).toMatchObject({
      patchMergeKey: 'containerPort',
      listMapKeys: ['containerPort', 'protocol'],
    });
    expect(mergeKeys['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']?.finalizers).toMatchObject({
      patchStrategy: 'merge',
      listType: 'set',
    });
  });
});
