import { describe, expect, it } from 'vitest';
import { builtinKindRegistry, builtinKinds } from './builtin-kinds.ts';
import { ConfigMap } from './core/config.ts';
import { defineKind, KindRegistry, splitApiVersion } from './kinds.ts';
import { nameIsDnsSubdomain } from './validation/names.ts';

const registry = builtinKindRegistry();

describe('builtin kinds', () => {
  it.each([
    ['v1', 'Pod', 'pods', true, ['po'], ['all']],
    ['v1', 'Node', 'nodes', false, ['no'], []],
    ['v1', 'Namespace', 'namespaces', false, ['ns'], []],
    ['v1', 'Service', 'services', true, ['svc'], ['all']],
    ['v1', 'Endpoints', 'endpoints', true, ['ep'], []],
    ['v1', 'ConfigMap', 'configmaps', true, ['cm'], []],
    ['v1', 'Secret', 'secrets', true, [], []],
    ['v1', 'Event', 'events', true, ['ev'], []],
    ['v1', 'ServiceAccount', 'serviceaccounts', true, ['sa'], []],
    ['v1', 'PersistentVolume', 'persistentvolumes', false, ['pv'], []],
    ['v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, ['pvc'], []],
    ['v1', 'ReplicationController', 'replicationcontrollers', true, ['rc'], ['all']],
    ['apps/v1', 'Deployment', 'deployments', true, ['deploy'], ['all']],
    ['apps/v1', 'ReplicaSet', 'replicasets', true, ['rs'], ['all']],
    ['apps/v1', 'DaemonSet', 'daemonsets', true, ['ds'], ['all']],
    ['apps/v1', 'StatefulSet', 'statefulsets', true, ['sts'], ['all']],
    ['apps/v1', 'ControllerRevision', 'controllerrevisions', true, [], []],
    ['batch/v1', 'Job', 'jobs', true, [], ['all']],
    ['batch/v1', 'CronJob', 'cronjobs', true, ['cj'], ['all']],
    [
      'autoscaling/v2',
      'HorizontalPodAutoscaler',
      'horizontalpodautoscalers',
      true,
      ['hpa'],
      ['all'],
    ],
    [
      'autoscaling/v1',
      'HorizontalPodAutoscaler',
      'horizontalpodautoscalers',
      true,
      ['hpa'],
      ['all'],
    ],
    ['networking.k8s.io/v1', 'Ingress', 'ingresses', true, ['ing'], []],
    ['extensions/v1beta1', 'Ingress', 'ingresses', true, ['ing'], []],
    ['networking.k8s.io/v1', 'IngressClass', 'ingressclasses', false, [], []],
    ['storage.k8s.io/v1', 'StorageClass', 'storageclasses', false, ['sc'], []],
    ['coordination.k8s.io/v1', 'Lease', 'leases', true, [], []],
    ['node.k8s.io/v1', 'RuntimeClass', 'runtimeclasses', false, [], []],
    ['discovery.k8s.io/v1', 'EndpointSlice', 'endpointslices', true, [], []],
    ['v1', 'PodTemplate', 'podtemplates', true, [], []],
    ['v1', 'ResourceQuota', 'resourcequotas', true, ['quota'], []],
    ['v1', 'LimitRange', 'limitranges', true, ['limits'], []],
    ['policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, ['pdb'], []],
    ['scheduling.k8s.io/v1', 'PriorityClass', 'priorityclasses', false, ['pc'], []],
    ['rbac.authorization.k8s.io/v1', 'Role', 'roles', true, [], []],
    ['rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', false, [], []],
    ['rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings', true, [], []],
    ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', false, [], []],
  ])(
    '%s %s is %s, namespaced=%s',
    (apiVersion, kind, plural, namespaced, shortNames, categories) => {
      const def = registry.get(apiVersion, kind);
      expect(def).toBeDefined();
      expect(def?.plural).toBe(plural);
      expect(def?.singular).toBe(kind.toLowerCase());
      expect(def?.listKind).toBe(`${kind}List`);
      expect(def?.namespaced).toBe(namespaced);
      expect(def?.shortNames).toEqual(shortNames);
      expect(def?.categories).toEqual(categories);
      const { group, version } = splitApiVersion(apiVersion);
      expect(registry.byResource(group, version, plural)).toBe(def);
    },
  );

  it('has one preferred version per kind, and conversions only on the others', () => {
    const byKind = new Map<string, number>();
    for (const def of builtinKinds) {
      const key = `${def.group}/${def.kind}`;
      if (def.preferred) byKind.set(key, (byKind.get(key) ?? 0) + 1);
      expect(def.conversion === undefined).toBe(def.preferred);
      if (def.conversion !== undefined)
        expect(registry.get(def.conversion.hubVersion, def.kind)?.preferred).toBe(true);
    }
    for (const count of byKind.values()) expect(count).toBe(1);
    expect(registry.get('extensions/v1beta1', 'Ingress')?.deprecated).toContain(
      'networking.k8s.io/v1',
    );
  });

  it.each([
    ['po', 'Pod'],
    ['pods', 'Pod'],
    ['pod', 'Pod'],
    ['Pod', 'Pod'],
    ['deploy', 'Deployment'],
    ['deployments.apps', 'Deployment'],
    ['hpa', 'HorizontalPodAutoscaler'],
    ['ing', 'Ingress'],
    ['svc', 'Service'],
  ])('resolves the CLI name %s to %s', (name, kind) => {
    const found = registry.resolve(name);
    expect(found.map((d) => d.kind)).toEqual([kind]);
  });

  it('resolves nothing for an unknown name', () => {
    expect(registry.resolve('widgets')).toEqual([]);
    expect(registry.resolve('deployments.batch')).toEqual([]);
  });

  it('refuses a kind registered twice', () => {
    const def = defineKind({
      group: '',
      version: 'v1',
      kind: 'ConfigMap',
      plural: 'configmaps',
      namespaced: true,
      schema: ConfigMap,
      nameRule: nameIsDnsSubdomain,
    });
    const r = new KindRegistry([def]);
    expect(() => r.add(def)).toThrow('registered twice');
  });

  it('lists group versions once each', () => {
    const gvs = registry.groupVersions();
    expect(gvs[0]).toBe('v1');
    expect(new Set(gvs).size).toBe(gvs.length);
    expect(gvs).toContain('apps/v1');
  });

  it('reports type errors alone, before kind rules', () => {
    const def = registry.get('apps/v1', 'Deployment');
    const errors = def?.validate({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { replicas: 'three' },
    });
    expect(errors?.map((e) => e.field).sort()).toEqual([
      'spec.replicas',
      'spec.selector',
      'spec.template',
    ]);
  });
});

describe('listSchema', () => {
  it('describes a list of the kind and rejects a bad item', async () => {
    const { Value } = await import('@sinclair/typebox/value');
    const { listSchema } = await import('./kinds.ts');
    const def = registry.get('v1', 'ConfigMap');
    if (def === undefined) throw new Error('ConfigMap is not registered');
    const schema = listSchema(def);
    expect(
      Value.Check(schema, {
        apiVersion: 'v1',
        kind: 'ConfigMapList',
        metadata: { resourceVersion: '5' },
        items: [{ metadata: { name: 'a' } }],
      }),
    ).toBe(true);
    expect(Value.Check(schema, { items: [{ data: { a: 1 } }] })).toBe(false);
  });
});
