import { describe, expect, it } from 'vitest';
import { builtinKindRegistry } from '../builtin-kinds.ts';
import { invalidError } from '../kinds.ts';
import type { KubeObject } from '../meta.ts';
import { formatFieldError } from './field-error.ts';

const registry = builtinKindRegistry();
// biome-ignore lint/suspicious/noExplicitAny: test fixtures are poked freely
type Obj = Record<string, any>;

const template = () => ({
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'nginx:1', ports: [{ containerPort: 80 }] }] },
});
const bases: Record<string, () => Obj> = {
  Pod: () => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default' },
    spec: template().spec,
  }),
  Deployment: () => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd' },
    spec: { selector: { matchLabels: { app: 'web' } }, template: template() },
  }),
  Service: () => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's' },
    spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
  }),
  Job: () => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j' },
    spec: { template: { spec: { ...template().spec, restartPolicy: 'Never' } } },
  }),
  CronJob: () => ({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'cj' },
    spec: {
      schedule: '*/5 * * * *',
      jobTemplate: {
        spec: { template: { spec: { ...template().spec, restartPolicy: 'OnFailure' } } },
      },
    },
  }),
  Namespace: () => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } }),
  ConfigMap: () => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cm' },
    data: { 'app.conf': 'x' },
  }),
  Secret: () => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'sec' },
    data: { key: 'dmFsdWU=' },
  }),
  Ingress: () => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'i' },
    spec: {
      rules: [
        {
          host: 'a.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 's', port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  }),
  HorizontalPodAutoscaler: () => ({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'h' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' },
      minReplicas: 1,
      maxReplicas: 5,
    },
  }),
  StatefulSet: () => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'st' },
    spec: { serviceName: 's', selector: { matchLabels: { app: 'web' } }, template: template() },
  }),
  DaemonSet: () => ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'ds' },
    spec: { selector: { matchLabels: { app: 'web' } }, template: template() },
  }),
  PersistentVolumeClaim: () => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'c' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  }),
  PersistentVolume: () => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'v' },
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      hostPath: { path: '/data' },
    },
  }),
  RuntimeClass: () => ({
    apiVersion: 'node.k8s.io/v1',
    kind: 'RuntimeClass',
    metadata: { name: 'gvisor' },
    handler: 'runsc',
  }),
  StorageClass: () => ({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'fast' },
    provisioner: 'example.com/disk',
  }),
  Lease: () => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'node-a', namespace: 'kube-node-lease' },
    spec: { holderIdentity: 'node-a', leaseDurationSeconds: 40 },
  }),
  EndpointSlice: () => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 's-abc' },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.0.0.1'] }],
    ports: [{ port: 80 }],
  }),
};

function check(kind: string, mutate: (o: Obj) => void): string[] {
  const base = bases[kind];
  if (base === undefined) throw new Error(`no base for ${kind}`);
  const obj = base();
  mutate(obj);
  const def = registry.get(obj.apiVersion, obj.kind);
  if (def === undefined) throw new Error(`${obj.kind} is not registered`);
  return def.validate(def.default(obj as KubeObject)).map(formatFieldError);
}

describe('every base object is valid', () => {
  it.each(Object.keys(bases))('%s', (kind) => {
    expect(check(kind, () => {})).toEqual([]);
  });
});

const c0 = (o: Obj) => o.spec.containers[0];
const t0 = (o: Obj) => o.spec.template.spec.containers[0];
const long = (n: number) => 'a'.repeat(n);

describe('validation rules', () => {
  it.each<[string, string, (o: Obj) => void, string]>([
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.name = long(253);
      },
      '',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.name = long(254);
      },
      `metadata.name: Invalid value: "${long(254)}": must be no more than 253 characters`,
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.name = 'Web';
      },
      'metadata.name: Invalid value: "Web": a lowercase RFC 1123 subdomain',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.name = 'web.';
      },
      'metadata.name: Invalid value: "web."',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.name = undefined;
      },
      'metadata.name: Required value: name or generateName is required',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.name = undefined;
        o.metadata.generateName = 'web-';
      },
      '',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.generateName = 'Web-';
      },
      'metadata.generateName: Invalid value: "Web-"',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.namespace = 'a.b';
      },
      'metadata.namespace: Invalid value: "a.b"',
    ],
    [
      'metadata',
      'Namespace',
      (o) => {
        o.metadata.name = long(63);
      },
      '',
    ],
    [
      'metadata',
      'Namespace',
      (o) => {
        o.metadata.name = long(64);
      },
      `metadata.name: Invalid value: "${long(64)}": must be no more than 63 characters`,
    ],
    [
      'metadata',
      'Namespace',
      (o) => {
        o.metadata.name = 'a.b';
      },
      'a lowercase RFC 1123 label must consist of',
    ],
    [
      'metadata',
      'Namespace',
      (o) => {
        o.metadata.namespace = 'x';
      },
      'metadata.namespace: Forbidden: not allowed on this type',
    ],
    [
      'metadata',
      'Service',
      (o) => {
        o.metadata.name = '1web';
      },
      'metadata.name: Invalid value: "1web": a DNS-1035 label',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.labels = { [long(63)]: long(63) };
      },
      '',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.labels = { [long(64)]: 'v' };
      },
      'metadata.labels: Invalid value: "' +
        long(64) +
        '": name part must be no more than 63 characters',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.labels = { k: long(64) };
      },
      `metadata.labels: Invalid value: "${long(64)}": must be no more than 63 characters`,
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.labels = { k: '-v' };
      },
      'metadata.labels: Invalid value: "-v": a valid label must be an empty string',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.labels = { k: '' };
      },
      '',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.labels = { 'example.com/k': 'v' };
      },
      '',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.labels = { 'Bad_Prefix/k': 'v' };
      },
      'prefix part a lowercase RFC 1123 subdomain',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.annotations = { 'a/b/c': 'v' };
      },
      'metadata.annotations: Invalid value: "a/b/c"',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.annotations = { k: long(256 * 1024) };
      },
      'metadata.annotations: Too long: must have at most 262144 bytes',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.annotations = { k: long(256 * 1024 - 1) };
      },
      '',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.ownerReferences = [
          { apiVersion: 'v1', kind: 'X', name: 'a', uid: '1', controller: true },
          { apiVersion: 'v1', kind: 'X', name: 'b', uid: '2', controller: true },
        ];
      },
      'Only one reference can have Controller set to true',
    ],
    [
      'types',
      'Pod',
      (o) => {
        o.spec.terminationGracePeriodSeconds = 'soon';
      },
      'spec.terminationGracePeriodSeconds: Invalid value: "soon": must be of type integer',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        o.spec.containers = [];
      },
      'spec.containers: Required value',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        c0(o).name = '';
      },
      'spec.containers[0].name: Required value',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        c0(o).name = 'Web';
      },
      'spec.containers[0].name: Invalid value: "Web"',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        c0(o).image = '';
      },
      'spec.containers[0].image: Required value',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        o.spec.containers.push({ name: 'c', image: 'x' });
      },
      'spec.containers[1].name: Duplicate value: "c"',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        o.spec.initContainers = [{ name: 'c', image: 'x' }];
      },
      'spec.containers[0].name: Duplicate value: "c"',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        o.spec.restartPolicy = 'Sometimes';
      },
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        o.spec.dnsPolicy = 'Google';
      },
      'spec.dnsPolicy: Unsupported value: "Google"',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        c0(o).imagePullPolicy = 'Sometimes';
      },
      'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes"',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        c0(o).ports[0].containerPort = 65536;
      },
      'spec.containers[0].ports[0].containerPort: Invalid value: 65536: must be between 1 and 65535, inclusive',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        c0(o).ports[0].containerPort = 0;
      },
      'spec.containers[0].ports[0].containerPort: Required value',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        c0(o).ports[0].protocol = 'HTTP';
      },
      'spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        c0(o).ports[0].name = 'a-very-long-port-name';
      },
      'spec.containers[0].ports[0].name: Invalid value: "a-very-long-port-name": must be no more than 15 characters',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        c0(o).ports[0].name = long(15);
      },
      '',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        c0(o).ports.push({ containerPort: 81, name: 'http' }, { containerPort: 82, name: 'http' });
      },
      'spec.containers[0].ports[2].name: Duplicate value: "http"',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        c0(o).volumeMounts = [{ name: 'data', mountPath: '/data' }];
      },
      'spec.containers[0].volumeMounts[0].name: Not found: "data"',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        o.spec.volumes = [{ name: 'v', emptyDir: {}, hostPath: { path: '/x' } }];
      },
      'spec.volumes[0].emptyDir: Forbidden: may not specify more than 1 volume type',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        o.spec.volumes = [
          { name: 'v', emptyDir: {} },
          { name: 'v', emptyDir: {} },
        ];
      },
      'spec.volumes[1].name: Duplicate value: "v"',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        c0(o).env = [{ name: '1BAD', value: 'x' }];
      },
      'spec.containers[0].env[0].name: Invalid value: "1BAD"',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        c0(o).resources = { limits: { cpu: '1' }, requests: { cpu: '2' } };
      },
      'spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        c0(o).resources = { limits: { memory: '1GB' } };
      },
      'spec.containers[0].resources.limits[memory]: Invalid value: "1GB": quantities must match',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        c0(o).livenessProbe = { periodSeconds: 0, httpGet: { port: 80 } };
      },
      'spec.containers[0].livenessProbe.periodSeconds: Invalid value: 0: must be greater than 0',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        c0(o).livenessProbe = {};
      },
      'spec.containers[0].livenessProbe: Required value: must specify a handler type',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        c0(o).readinessProbe = { exec: { command: ['x'] }, tcpSocket: { port: 1 } };
      },
      'spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        o.spec.tolerations = [{ key: 'k', operator: 'Maybe' }];
      },
      'spec.tolerations[0].operator: Unsupported value: "Maybe"',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        o.spec.tolerations = [{ operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }];
      },
      '',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        o.spec.topologySpreadConstraints = [
          { maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'Whatever' },
        ];
      },
      'spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than 0',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        o.spec.affinity = {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'k', operator: 'In' }] }],
            },
          },
        };
      },
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value',
    ],
    [
      'pod',
      'Pod',
      (o) => {
        o.spec.nodeSelector = { 'bad key': 'x' };
      },
      'spec.nodeSelector: Invalid value: "bad key"',
    ],
    [
      'deployment',
      'Deployment',
      (o) => {
        o.spec.selector = { matchLabels: { app: 'db' } };
      },
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    ],
    [
      'deployment',
      'Deployment',
      (o) => {
        o.spec.selector = {};
      },
      'spec.selector: Invalid value: {}: empty selector is invalid for deployment',
    ],
    [
      'deployment',
      'Deployment',
      (o) => {
        o.spec.selector = undefined;
      },
      'spec.selector: Required value',
    ],
    [
      'deployment',
      'Deployment',
      (o) => {
        o.spec.replicas = -1;
      },
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    ],
    [
      'deployment',
      'Deployment',
      (o) => {
        o.spec.template.spec.restartPolicy = 'Never';
      },
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ],
    [
      'deployment',
      'Deployment',
      (o) => {
        o.spec.strategy = { type: 'Blue' };
      },
      'spec.strategy.type: Unsupported value: "Blue"',
    ],
    [
      'deployment',
      'Deployment',
      (o) => {
        o.spec.strategy = { rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } };
      },
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0',
    ],
    [
      'deployment',
      'Deployment',
      (o) => {
        o.spec.strategy = { rollingUpdate: { maxSurge: 'lots' } };
      },
      'spec.strategy.rollingUpdate.maxSurge: Invalid value: "lots": a valid percent string',
    ],
    [
      'deployment',
      'Deployment',
      (o) => {
        t0(o).name = '';
      },
      'spec.template.spec.containers[0].name: Required value',
    ],
    [
      'statefulset',
      'StatefulSet',
      (o) => {
        o.spec.podManagementPolicy = 'Random';
      },
      'spec.podManagementPolicy: Unsupported value: "Random"',
    ],
    [
      'daemonset',
      'DaemonSet',
      (o) => {
        o.spec.updateStrategy = { type: 'Now' };
      },
      'spec.updateStrategy.type: Unsupported value: "Now"',
    ],
    [
      'job',
      'Job',
      (o) => {
        o.spec.template.spec.restartPolicy = undefined;
      },
      'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    ],
    [
      'job',
      'Job',
      (o) => {
        o.spec.backoffLimit = -1;
      },
      'spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0',
    ],
    [
      'cronjob',
      'CronJob',
      (o) => {
        o.spec.schedule = 'every minute';
      },
      'spec.schedule: Invalid value: "every minute"',
    ],
    [
      'cronjob',
      'CronJob',
      (o) => {
        o.spec.schedule = '@hourly';
      },
      '',
    ],
    [
      'cronjob',
      'CronJob',
      (o) => {
        o.spec.concurrencyPolicy = 'Sometimes';
      },
      'spec.concurrencyPolicy: Unsupported value: "Sometimes"',
    ],
    [
      'service',
      'Service',
      (o) => {
        o.spec.type = 'Magic';
      },
      'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    ],
    [
      'service',
      'Service',
      (o) => {
        o.spec.ports[0].port = 70000;
      },
      'spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
    ],
    [
      'service',
      'Service',
      (o) => {
        o.spec.ports[0].targetPort = 'not_a_name';
      },
      'spec.ports[0].targetPort: Invalid value: "not_a_name"',
    ],
    [
      'service',
      'Service',
      (o) => {
        o.spec.ports[0].targetPort = 0;
      },
      'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
    ],
    [
      'service',
      'Service',
      (o) => {
        o.spec.ports.push({ port: 81 });
      },
      'spec.ports[0].name: Required value',
    ],
    [
      'service',
      'Service',
      (o) => {
        o.spec.ports = [
          { name: 'a', port: 80 },
          { name: 'a', port: 81 },
        ];
      },
      'spec.ports[1].name: Duplicate value: "a"',
    ],
    [
      'service',
      'Service',
      (o) => {
        o.spec.ports[0].nodePort = 30000;
      },
      "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
    ],
    [
      'service',
      'Service',
      (o) => {
        o.spec.ports = [];
      },
      'spec.ports: Required value',
    ],
    [
      'service',
      'Service',
      (o) => {
        o.spec.ports[0].protocol = 'ICMP';
      },
      'spec.ports[0].protocol: Unsupported value: "ICMP"',
    ],
    [
      'service',
      'Service',
      (o) => {
        o.spec.sessionAffinity = 'Sticky';
      },
      'spec.sessionAffinity: Unsupported value: "Sticky"',
    ],
    [
      'service',
      'Service',
      (o) => {
        o.spec.clusterIP = '10.0.0.300';
      },
      'spec.clusterIP: Invalid value: "10.0.0.300"',
    ],
    [
      'service',
      'Service',
      (o) => {
        o.spec = { type: 'ExternalName' };
      },
      'spec.externalName: Required value',
    ],
    [
      'configmap',
      'ConfigMap',
      (o) => {
        o.data = { 'a/b': 'x' };
      },
      'data[a/b]: Invalid value: "a/b": a valid config key',
    ],
    [
      'configmap',
      'ConfigMap',
      (o) => {
        o.binaryData = { 'app.conf': 'eA==' };
      },
      'binaryData[app.conf]: Duplicate value: "app.conf"',
    ],
    [
      'secret',
      'Secret',
      (o) => {
        o.data = { key: 'not base64!' };
      },
      'data[key]: Invalid value: "<value omitted>": illegal base64 data',
    ],
    [
      'secret',
      'Secret',
      (o) => {
        o.type = 'kubernetes.io/tls';
      },
      'data[tls.crt]: Required value',
    ],
    [
      'ingress',
      'Ingress',
      (o) => {
        o.spec.rules[0].http.paths[0].pathType = undefined;
      },
      'spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified',
    ],
    [
      'ingress',
      'Ingress',
      (o) => {
        o.spec.rules[0].http.paths[0].pathType = 'Glob';
      },
      'spec.rules[0].http.paths[0].pathType: Unsupported value: "Glob"',
    ],
    [
      'ingress',
      'Ingress',
      (o) => {
        o.spec.rules[0].http.paths[0].backend = { service: { name: 's', port: {} } };
      },
      'spec.rules[0].http.paths[0].backend.service.port: Invalid value: {}: port name or number is required',
    ],
    [
      'ingress',
      'Ingress',
      (o) => {
        o.spec.rules[0].host = '10.0.0.1';
      },
      'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
    ],
    [
      'hpa',
      'HorizontalPodAutoscaler',
      (o) => {
        o.spec.maxReplicas = 0;
      },
      'spec.maxReplicas: Invalid value: 0: must be greater than 0',
    ],
    [
      'hpa',
      'HorizontalPodAutoscaler',
      (o) => {
        o.spec.minReplicas = 6;
      },
      'spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`',
    ],
    [
      'hpa',
      'HorizontalPodAutoscaler',
      (o) => {
        o.spec.metrics = [{ type: 'Resource' }];
      },
      'spec.metrics[0].resource: Required value',
    ],
    [
      'pvc',
      'PersistentVolumeClaim',
      (o) => {
        o.spec.accessModes = ['ReadSometimes'];
      },
      'spec.accessModes[0]: Unsupported value: "ReadSometimes"',
    ],
    [
      'pvc',
      'PersistentVolumeClaim',
      (o) => {
        o.spec.resources = {};
      },
      'spec.resources[storage]: Required value',
    ],
    [
      'pv',
      'PersistentVolume',
      (o) => {
        o.spec.hostPath = undefined;
      },
      'spec: Required value: must specify a volume type',
    ],
    [
      'runtimeclass',
      'RuntimeClass',
      (o) => {
        o.handler = 'Run_SC';
      },
      'handler: Invalid value: "Run_SC"',
    ],
    [
      'storageclass',
      'StorageClass',
      (o) => {
        o.volumeBindingMode = 'Later';
      },
      'volumeBindingMode: Unsupported value: "Later"',
    ],
    [
      'lease',
      'Lease',
      (o) => {
        o.spec.leaseDurationSeconds = 0;
      },
      'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
    ],
    [
      'endpointslice',
      'EndpointSlice',
      (o) => {
        o.addressType = 'IPv5';
      },
      'addressType: Unsupported value: "IPv5"',
    ],
    [
      'endpointslice',
      'EndpointSlice',
      (o) => {
        o.endpoints[0].addresses = ['nope'];
      },
      'endpoints[0].addresses[0]: Invalid value: "nope"',
    ],
  ])('%s: %s %#', (_area, kind, mutate, expected) => {
    const errors = check(kind, mutate);
    if (expected === '') expect(errors).toEqual([]);
    else
      expect(
        errors.some((e) => e.includes(expected)),
        `${expected}\n in ${JSON.stringify(errors, null, 1)}`,
      ).toBe(true);
  });

  it('lists every bad field at once and words the 422 as Kubernetes does', () => {
    const obj = bases.Pod?.() ?? {};
    c0(obj).name = '';
    c0(obj).image = '';
    obj.spec.restartPolicy = 'Sometimes';
    const def = registry.get('v1', 'Pod');
    if (def === undefined) throw new Error('Pod is not registered');
    const errors = def.validate(def.default(obj as KubeObject));
    expect(errors.map((e) => e.field)).toEqual([
      'spec.containers[0].name',
      'spec.containers[0].image',
      'spec.restartPolicy',
    ]);
    const err = invalidError(def, obj as KubeObject, errors);
    expect(err.message).toBe(
      'Pod "p" is invalid: [spec.containers[0].name: Required value, spec.containers[0].image: Required value, spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"]',
    );
    expect(err.causes.map((c) => c.reason)).toEqual([
      'FieldValueRequired',
      'FieldValueRequired',
      'FieldValueNotSupported',
    ]);
  });
});
