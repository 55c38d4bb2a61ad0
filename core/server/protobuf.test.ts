import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSkiffError } from '../../sdk/errors.ts';
import { decodeProtobuf, protobufKinds } from './protobuf.ts';

const bodies = new Map(
  readFileSync(join(import.meta.dirname, 'testdata', 'kubectl-create-bodies.txt'), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [name = '', hex = ''] = line.split(' ');
      return [name, Buffer.from(hex, 'hex')] as const;
    }),
);

// What each captured body (testdata/kubectl-create-bodies.txt) decodes to: the JSON Kubernetes
// itself would store for the command, less the fields Go writes only as zero values.
const captured: { name: string; command: string; want: Record<string, unknown> }[] = [
  {
    name: 'deployment',
    command: 'kubectl create deployment web --image=nginx:1.7.9 --replicas=3 --port=80',
    want: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              {
                name: 'nginx',
                image: 'nginx:1.7.9',
                ports: [{ containerPort: 80 }],
                resources: {},
              },
            ],
          },
        },
        strategy: {},
      },
    },
  },
  {
    name: 'service-clusterip',
    command: 'kubectl create service clusterip web --tcp=80:8080',
    want: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }],
        selector: { app: 'web' },
        type: 'ClusterIP',
      },
    },
  },
  {
    name: 'service-nodeport',
    command: 'kubectl create service nodeport np --tcp=80:80 --node-port=30080',
    want: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'np', labels: { app: 'np' } },
      spec: {
        ports: [{ name: '80-80', protocol: 'TCP', port: 80, targetPort: 80, nodePort: 30080 }],
        selector: { app: 'np' },
        type: 'NodePort',
      },
    },
  },
  {
    name: 'job',
    command: 'kubectl create job j --image=busybox -- sleep 5',
    want: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j' },
      spec: {
        template: {
          metadata: {},
          spec: {
            containers: [{ name: 'j', image: 'busybox', command: ['sleep', '5'], resources: {} }],
            restartPolicy: 'Never',
          },
        },
      },
    },
  },
  {
    name: 'cronjob',
    command: 'kubectl create cronjob cj --image=busybox --schedule=*/5 * * * * -- echo hi',
    want: {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'cj' },
      spec: {
        schedule: '*/5 * * * *',
        jobTemplate: {
          metadata: { name: 'cj' },
          spec: {
            template: {
              metadata: {},
              spec: {
                containers: [
                  { name: 'cj', image: 'busybox', command: ['echo', 'hi'], resources: {} },
                ],
                restartPolicy: 'OnFailure',
              },
            },
          },
        },
      },
    },
  },
  {
    name: 'role',
    command: 'kubectl create role reader --verb=get,list --resource=pods',
    want: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'reader' },
      rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }],
    },
  },
  {
    name: 'clusterrole',
    command:
      'kubectl create clusterrole creader --verb=get --resource=nodes --non-resource-url=/healthz',
    want: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'creader' },
      rules: [
        { verbs: ['get'], apiGroups: [''], resources: ['nodes'] },
        { verbs: ['get'], nonResourceURLs: ['/healthz'] },
      ],
    },
  },
  {
    name: 'rolebinding',
    command:
      'kubectl create rolebinding rb --role=reader --user=alice --serviceaccount=default:sa1',
    want: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'rb' },
      subjects: [
        { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' },
        { kind: 'ServiceAccount', name: 'sa1', namespace: 'default' },
      ],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
    },
  },
  {
    name: 'clusterrolebinding',
    command: 'kubectl create clusterrolebinding crb --clusterrole=creader --group=devs',
    want: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'crb' },
      subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'devs' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'creader' },
    },
  },
  {
    name: 'quota',
    command: 'kubectl create quota q --hard=cpu=1,memory=1Gi,pods=10',
    want: {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'q' },
      spec: { hard: { cpu: '1', memory: '1Gi', pods: '10' } },
    },
  },
  {
    name: 'priorityclass',
    command:
      'kubectl create priorityclass high --value=1000 --description=important --preemption-policy=Never',
    want: {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: 'high' },
      value: 1000,
      description: 'important',
      preemptionPolicy: 'Never',
    },
  },
  {
    name: 'pdb',
    command: 'kubectl create poddisruptionbudget pdb --selector=app=web --min-available=50%',
    want: {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'pdb' },
      spec: { minAvailable: '50%', selector: { matchLabels: { app: 'web' } } },
    },
  },
  {
    name: 'ingress',
    command:
      'kubectl create ingress ing --class=nginx --rule=foo.example.com/bar*=svc1:8080,tls=my-cert',
    want: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'ing' },
      spec: {
        tls: [{ hosts: ['foo.example.com'], secretName: 'my-cert' }],
        rules: [
          {
            host: 'foo.example.com',
            http: {
              paths: [
                {
                  path: '/bar',
                  backend: { service: { name: 'svc1', port: { number: 8080 } } },
                  pathType: 'Prefix',
                },
              ],
            },
          },
        ],
        ingressClassName: 'nginx',
      },
    },
  },
  {
    name: 'configmap',
    command: 'kubectl create configmap cm --from-literal=a=1',
    want: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: '1' } },
  },
  {
    name: 'secret',
    command: 'kubectl create secret generic s --from-literal=password=hunter2',
    want: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { password: 'aHVudGVyMg==' },
    },
  },
];

// A tiny encoder for the test inputs: field tags, varints and length-delimited fields.
const varint = (n: number): number[] => {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
};
const bytes = (field: number, data: number[] | string): number[] => {
  const b = typeof data === 'string' ? [...Buffer.from(data)] : data;
  return [...varint(field * 8 + 2), ...varint(b.length), ...b];
};
const int = (field: number, n: number): number[] => [...varint(field * 8), ...varint(n)];
const entry = (field: number, key: string, value: string) =>
  bytes(field, [...bytes(1, key), ...bytes(2, value)]);
const envelope = (apiVersion: string, kind: string, raw: number[]) =>
  new Uint8Array([
    0x6b,
    0x38,
    0x73,
    0x00,
    ...bytes(1, [...bytes(1, apiVersion), ...bytes(2, kind)]),
    ...bytes(2, raw),
  ]);

describe('decodeProtobuf', () => {
  it.each([
    {
      what: 'a ConfigMap from kubectl create configmap',
      body: envelope('v1', 'ConfigMap', [
        ...bytes(1, [...bytes(1, 'settings'), ...bytes(2, ''), ...entry(11, 'app', 'web')]),
        ...entry(2, 'mode', 'fast'),
        ...entry(2, 'size', '3'),
      ]),
      want: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings', labels: { app: 'web' } },
        data: { mode: 'fast', size: '3' },
      },
    },
    {
      what: 'a Secret, whose data values are bytes (base64 in JSON)',
      body: envelope('v1', 'Secret', [
        ...bytes(1, bytes(1, 'creds')),
        ...entry(2, 'password', 'hunter2'),
        ...bytes(3, 'Opaque'),
      ]),
      want: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'creds' },
        data: { password: Buffer.from('hunter2').toString('base64') },
        type: 'Opaque',
      },
    },
    {
      what: 'a Namespace with a creation time',
      body: envelope('v1', 'Namespace', [
        ...bytes(1, [...bytes(1, 'team'), ...bytes(8, int(1, 1_700_000_000))]),
      ]),
      want: {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'team', creationTimestamp: '2023-11-14T22:13:20Z' },
      },
    },
    {
      what: 'a PodDisruptionBudget whose maxUnavailable is a number',
      body: envelope('policy/v1', 'PodDisruptionBudget', [
        ...bytes(1, bytes(1, 'pdb')),
        ...bytes(2, bytes(3, [...int(1, 0), ...int(2, 1)])),
      ]),
      want: {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'pdb' },
        spec: { maxUnavailable: 1 },
      },
    },
  ])('decodes $what', ({ body, want }) => {
    expect(decodeProtobuf(body)).toEqual(want);
  });

  it.each([
    { what: 'no k8s prefix', body: new Uint8Array([1, 2, 3, 4, 5]), code: 'BadRequest' },
    {
      what: 'a truncated field',
      body: new Uint8Array([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x10, 0x01]),
      code: 'BadRequest',
    },
    {
      what: 'a kind it does not decode',
      body: envelope('apps/v1', 'StatefulSet', []),
      code: 'UnsupportedMediaType',
    },
    {
      what: 'a field its definitions lack at the top level',
      body: envelope('v1', 'Namespace', [...bytes(1, bytes(1, 'team')), ...int(9, 5)]),
      code: 'UnsupportedMediaType',
    },
    {
      what: 'a liveness probe (a Container field it leaves out) deep in a Deployment',
      body: envelope('apps/v1', 'Deployment', [
        ...bytes(1, bytes(1, 'web')),
        ...bytes(2, bytes(3, bytes(2, bytes(2, [...bytes(1, 'c'), ...bytes(10, [])])))),
      ]),
      code: 'UnsupportedMediaType',
    },
    {
      what: 'an unknown field inside a map value (a quota Quantity)',
      body: envelope('v1', 'ResourceQuota', [
        ...bytes(2, bytes(1, [...bytes(1, 'cpu'), ...bytes(2, [...bytes(1, '1'), ...int(2, 3)])])),
      ]),
      code: 'UnsupportedMediaType',
    },
  ])('refuses $what with $code', ({ body, code }) => {
    let caught: unknown;
    try {
      decodeProtobuf(body);
    } catch (err) {
      caught = err;
    }
    expect(isSkiffError(caught)).toBe(true);
    expect((caught as { code: string }).code).toBe(code);
    if (code === 'UnsupportedMediaType')
      expect((caught as Error).message).toMatch(/send application\/json$/);
  });

  it('names the kind and the unknown field when it refuses one', () => {
    const body = envelope('v1', 'Namespace', [...bytes(1, bytes(1, 'team')), ...int(9, 5)]);
    expect(() => decodeProtobuf(body)).toThrow(/this Namespace from protobuf \(#9\)/);
  });

  it.each(captured)('decodes the body of $command', ({ name, want }) => {
    const body = bodies.get(name);
    expect(body, `no captured body named ${name}`).toBeDefined();
    expect(decodeProtobuf(body as Uint8Array)).toEqual(want);
  });

  it('has a captured body for every kind it decodes but ServiceAccount and Namespace', () => {
    const sent = new Set(
      [...bodies.values()].map((b) => {
        const o = decodeProtobuf(b);
        return `${o.apiVersion}/${o.kind}`;
      }),
    );
    const missing = protobufKinds.filter((k) => !sent.has(k));
    expect(missing).toEqual(['v1/Namespace', 'v1/ServiceAccount']);
  });
});
