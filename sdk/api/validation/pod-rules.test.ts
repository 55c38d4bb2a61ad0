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

const c0 = (o: Obj) => o.spec.containers[0];
const long = (n: number) => 'a'.repeat(n);

describe('pod spec rules', () => {
  it.each<[string, string, (o: Obj) => void, string]>([
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
