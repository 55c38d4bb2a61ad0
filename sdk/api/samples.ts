import type { KubeObject } from './meta.ts';

// Each call returns a fresh object, so a caller may change it freely.
const template = () => ({
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'nginx:1', ports: [{ containerPort: 80 }] }] },
});
/** sampleObjects holds a minimal valid object of each of several kinds, by kind, for tests and docs. */
export const sampleObjects: Record<string, () => KubeObject> = {
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
