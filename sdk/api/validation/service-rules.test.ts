import { describe, expect, it } from 'vitest';
import { builtinKindRegistry } from '../builtin-kinds.ts';
import type { KubeObject } from '../meta.ts';
import { sampleObjects } from '../samples.ts';
import { formatFieldError } from './field-error.ts';

const registry = builtinKindRegistry();
// biome-ignore lint/suspicious/noExplicitAny: samples are changed freely
type Obj = Record<string, any>;

function sample(kind: string): Obj {
  const make = sampleObjects[kind];
  if (make === undefined) throw new Error(`no sample of ${kind}`);
  return make();
}

function check(kind: string, mutate: (o: Obj) => void): string[] {
  const obj = sample(kind);
  mutate(obj);
  const def = registry.get(obj.apiVersion, obj.kind);
  if (def === undefined) throw new Error(`${obj.kind} is not registered`);
  return def.validate(def.default(obj as KubeObject)).map(formatFieldError);
}

describe('service, config and storage rules', () => {
  it.each<[string, string, (o: Obj) => void, string]>([
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
});

describe('persistent volume sources', () => {
  it.each([
    [{ gcePersistentDisk: { pdName: 'disk-1', fsType: 'ext4' } }, []],
    [
      {
        csi: {
          driver: 'x.csi.io',
          volumeHandle: 'h',
          nodePublishSecretRef: { name: 's', namespace: 'n' },
        },
      },
      [],
    ],
    [
      {
        iscsi: {
          targetPortal: '10.0.0.1:3260',
          iqn: 'iqn.x',
          lun: 0,
          portals: ['10.0.0.2:3260'],
          secretRef: { name: 's', namespace: 'n' },
        },
      },
      [],
    ],
    [
      { nfs: { server: 'n', path: '/' }, local: { path: '/x' } },
      ['spec.local: Invalid value: "": may not specify more than 1 volume type'],
    ],
  ])('%j', (source, expected) => {
    expect(
      check('PersistentVolume', (o) => {
        o.spec.hostPath = undefined;
        Object.assign(o.spec, source);
      }),
    ).toEqual(expected);
  });
});
