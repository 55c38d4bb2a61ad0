import { describe, expect, it } from 'vitest';
import { builtinKindRegistry } from '../builtin-kinds.ts';
import type { KubeObject } from '../meta.ts';
import { imagePullPolicyFor } from './pod.ts';

const registry = builtinKindRegistry();
const def = (apiVersion: string, kind: string) => {
  const d = registry.get(apiVersion, kind);
  if (d === undefined) throw new Error(`${apiVersion} ${kind} is not registered`);
  return d;
};
const at = (obj: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);

const pod = (): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec: {
    containers: [
      {
        name: 'c',
        image: 'nginx',
        ports: [{ containerPort: 80 }],
        livenessProbe: { httpGet: { port: 80 } },
        resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } },
        env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
      },
    ],
    volumes: [{ name: 'cfg', configMap: { name: 'x' } }, { name: 'bare' }],
  },
});

describe('defaults', () => {
  it.each([
    ['spec.restartPolicy', 'Always'],
    ['spec.dnsPolicy', 'ClusterFirst'],
    ['spec.terminationGracePeriodSeconds', 30],
    ['spec.schedulerName', 'default-scheduler'],
    ['spec.enableServiceLinks', true],
    ['spec.securityContext', {}],
    ['spec.containers.0.imagePullPolicy', 'Always'],
    ['spec.containers.0.terminationMessagePath', '/dev/termination-log'],
    ['spec.containers.0.terminationMessagePolicy', 'File'],
    ['spec.containers.0.ports.0.protocol', 'TCP'],
    [
      'spec.containers.0.livenessProbe',
      {
        httpGet: { port: 80, path: '/', scheme: 'HTTP' },
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
      },
    ],
    ['spec.containers.0.resources.requests', { cpu: '500m', memory: '1Gi' }],
    ['spec.containers.0.env.0.valueFrom.fieldRef.apiVersion', 'v1'],
    ['spec.volumes.0.configMap.defaultMode', 420],
    ['spec.volumes.1.emptyDir', {}],
  ])('Pod %s defaults to %j', (path, value) => {
    expect(at(def('v1', 'Pod').default(pod()), path)).toEqual(value);
  });

  it('leaves the caller object untouched and returns a new one', () => {
    const input = pod();
    const before = structuredClone(input);
    const out = def('v1', 'Pod').default(input);
    expect(input).toEqual(before);
    expect(out).not.toBe(input);
  });

  it('keeps values the user set', () => {
    const p = pod();
    (p.spec as { restartPolicy?: string }).restartPolicy = 'Never';
    expect(at(def('v1', 'Pod').default(p), 'spec.restartPolicy')).toBe('Never');
  });

  it('gives host-network pods host ports equal to container ports', () => {
    const p = pod();
    (p.spec as { hostNetwork?: boolean }).hostNetwork = true;
    expect(at(def('v1', 'Pod').default(p), 'spec.containers.0.ports.0.hostPort')).toBe(80);
  });

  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.25', 'IfNotPresent'],
    ['registry:5000/nginx', 'Always'],
    ['registry:5000/nginx:1.0', 'IfNotPresent'],
    ['nginx@sha256:abc', 'IfNotPresent'],
  ])('image %s pulls %s', (image, policy) => {
    expect(imagePullPolicyFor(image)).toBe(policy);
  });

  const template = {
    metadata: { labels: { a: 'b' } },
    spec: { containers: [{ name: 'c', image: 'i:1' }] },
  };
  it.each([
    [
      'apps/v1',
      'Deployment',
      { selector: { matchLabels: { a: 'b' } }, template },
      {
        'spec.replicas': 1,
        'spec.strategy': {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
        },
        'spec.revisionHistoryLimit': 10,
        'spec.progressDeadlineSeconds': 600,
        'spec.template.spec.restartPolicy': 'Always',
      },
    ],
    [
      'apps/v1',
      'ReplicaSet',
      { selector: { matchLabels: { a: 'b' } }, template },
      { 'spec.replicas': 1 },
    ],
    [
      'apps/v1',
      'DaemonSet',
      { selector: { matchLabels: { a: 'b' } }, template },
      {
        'spec.updateStrategy': {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
        },
        'spec.revisionHistoryLimit': 10,
      },
    ],
    [
      'apps/v1',
      'StatefulSet',
      { selector: { matchLabels: { a: 'b' } }, template },
      {
        'spec.replicas': 1,
        'spec.podManagementPolicy': 'OrderedReady',
        'spec.updateStrategy': { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
        'spec.persistentVolumeClaimRetentionPolicy': {
          whenDeleted: 'Retain',
          whenScaled: 'Retain',
        },
      },
    ],
    [
      'v1',
      'ReplicationController',
      { template },
      { 'spec.replicas': 1, 'spec.selector': { a: 'b' }, 'metadata.labels': { a: 'b' } },
    ],
    [
      'batch/v1',
      'Job',
      { template },
      {
        'spec.backoffLimit': 6,
        'spec.completions': 1,
        'spec.parallelism': 1,
        'spec.completionMode': 'NonIndexed',
        'spec.suspend': false,
      },
    ],
    [
      'batch/v1',
      'Job',
      { template, parallelism: 3 },
      { 'spec.parallelism': 3, 'spec.completions': undefined },
    ],
    [
      'batch/v1',
      'CronJob',
      { schedule: '* * * * *', jobTemplate: { spec: { template } } },
      {
        'spec.concurrencyPolicy': 'Allow',
        'spec.successfulJobsHistoryLimit': 3,
        'spec.failedJobsHistoryLimit': 1,
        'spec.jobTemplate.spec.backoffLimit': undefined,
        'spec.jobTemplate.spec.template.spec.dnsPolicy': 'ClusterFirst',
      },
    ],
    [
      'v1',
      'Service',
      { ports: [{ port: 80 }, { port: 443, targetPort: 'https' }] },
      {
        'spec.type': 'ClusterIP',
        'spec.sessionAffinity': 'None',
        'spec.ports': [
          { port: 80, protocol: 'TCP', targetPort: 80 },
          { port: 443, targetPort: 'https', protocol: 'TCP' },
        ],
        'spec.internalTrafficPolicy': 'Cluster',
        'spec.externalTrafficPolicy': undefined,
      },
    ],
    [
      'v1',
      'Service',
      { type: 'NodePort', ports: [{ port: 80 }] },
      { 'spec.externalTrafficPolicy': 'Cluster' },
    ],
    [
      'autoscaling/v2',
      'HorizontalPodAutoscaler',
      { scaleTargetRef: { kind: 'Deployment', name: 'd' }, maxReplicas: 3 },
      {
        'spec.minReplicas': 1,
        'spec.metrics': [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
          },
        ],
      },
    ],
    [
      'autoscaling/v1',
      'HorizontalPodAutoscaler',
      { scaleTargetRef: { kind: 'Deployment', name: 'd' }, maxReplicas: 3 },
      { 'spec.minReplicas': 1 },
    ],
    [
      'v1',
      'PersistentVolumeClaim',
      { accessModes: ['ReadWriteOnce'] },
      { 'spec.volumeMode': 'Filesystem', 'status.phase': 'Pending' },
    ],
  ])('%s %s', (apiVersion, kind, spec, expected) => {
    const out = def(apiVersion, kind).default({ apiVersion, kind, metadata: { name: 'x' }, spec });
    for (const [path, value] of Object.entries(expected))
      expect(at(out, path), path).toEqual(value);
  });

  it.each([
    ['v1', 'Secret', { type: 'Opaque' }],
    ['v1', 'Namespace', { status: { phase: 'Active' } }],
    [
      'storage.k8s.io/v1',
      'StorageClass',
      { provisioner: 'x.io/p', reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' },
    ],
  ])('%s %s top-level defaults', (apiVersion, kind, expected) => {
    const out = def(apiVersion, kind).default({
      apiVersion,
      kind,
      metadata: { name: 'x' },
      provisioner: 'x.io/p',
    });
    expect(out).toMatchObject(expected);
  });

  it('folds Secret stringData into base64 data, stringData winning', () => {
    const input = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { a: 'YQ==', b: 'b2xk' },
      stringData: { b: 'value' },
    };
    const out = def('v1', 'Secret').default(input);
    expect(out).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      type: 'Opaque',
      data: { a: 'YQ==', b: 'dmFsdWU=' },
    });
    expect(input.stringData).toEqual({ b: 'value' });
  });

  it('gives extensions/v1beta1 ingress paths pathType ImplementationSpecific', () => {
    const out = def('extensions/v1beta1', 'Ingress').default({
      apiVersion: 'extensions/v1beta1',
      kind: 'Ingress',
      metadata: { name: 'i' },
      spec: {
        rules: [
          { http: { paths: [{ path: '/', backend: { serviceName: 's', servicePort: 80 } }] } },
        ],
      },
    });
    expect(at(out, 'spec.rules.0.http.paths.0.pathType')).toBe('ImplementationSpecific');
  });
});
