import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../sdk/api/meta.ts';
import { toTable } from './index.ts';

const now = new Date('2026-03-01T12:00:00Z');
const meta = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  namespace: 'default',
  uid: `uid-${name}`,
  resourceVersion: '41',
  creationTimestamp: '2026-02-27T09:00:00Z', // 2d3h before now
  labels: { app: name },
  ...extra,
});

/** row renders one object and pairs each cell with its column name (upper case, as kubectl shows it). */
function row(kind: string, object: Record<string, unknown>): Record<string, unknown> {
  const table = toTable(kind, [object as KubeObject], { now });
  const columns = table.columnDefinitions ?? [];
  const cells = table.rows[0]?.cells ?? [];
  expect(cells).toHaveLength(columns.length);
  return Object.fromEntries(columns.map((c, i) => [c.name.toUpperCase(), cells[i]]));
}

describe('rows of core, network and storage kinds', () => {
  it('nodes', () => {
    const node = {
      metadata: meta('node-1', {
        labels: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'edge' },
      }),
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        addresses: [
          { type: 'InternalIP', address: '10.0.0.5' },
          { type: 'Hostname', address: 'node-1' },
        ],
        nodeInfo: {
          kubeletVersion: 'v1.32.0',
          osImage: 'Debian GNU/Linux 12',
          kernelVersion: '6.1.0',
          containerRuntimeVersion: 'containerd://1.6.20',
        },
      },
    };
    expect(row('Node', node)).toEqual({
      NAME: 'node-1',
      STATUS: 'Ready,SchedulingDisabled',
      ROLES: 'control-plane,edge',
      AGE: '2d3h',
      VERSION: 'v1.32.0',
      'INTERNAL-IP': '10.0.0.5',
      'EXTERNAL-IP': '<none>',
      'OS-IMAGE': 'Debian GNU/Linux 12',
      'KERNEL-VERSION': '6.1.0',
      'CONTAINER-RUNTIME': 'containerd://1.6.20',
    });
    expect(
      row('Node', {
        metadata: meta('n2', { labels: {} }),
        status: { conditions: [{ type: 'Ready', status: 'Unknown' }] },
      }),
    ).toMatchObject({ STATUS: 'NotReady', ROLES: '<none>', 'OS-IMAGE': '<unknown>' });
    expect(row('Node', { metadata: meta('n3'), status: {} })).toMatchObject({ STATUS: 'Unknown' });
  });

  it.each([
    {
      name: 'ClusterIP',
      spec: {
        type: 'ClusterIP',
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10'],
        ports: [
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ],
        selector: { k8s: 'dns' },
      },
      status: {},
      want: {
        TYPE: 'ClusterIP',
        'CLUSTER-IP': '10.96.0.10',
        'EXTERNAL-IP': '<none>',
        'PORT(S)': '53/UDP,53/TCP',
        SELECTOR: 'k8s=dns',
      },
    },
    {
      name: 'NodePort',
      spec: {
        type: 'NodePort',
        clusterIPs: ['10.96.3.4'],
        ports: [{ port: 80, nodePort: 31515, protocol: 'TCP' }],
      },
      status: {},
      want: { 'EXTERNAL-IP': '<none>', 'PORT(S)': '80:31515/TCP', SELECTOR: '<none>' },
    },
    {
      name: 'LoadBalancer pending',
      spec: {
        type: 'LoadBalancer',
        clusterIPs: ['10.96.3.5'],
        ports: [{ port: 443, nodePort: 30443, protocol: 'TCP' }],
      },
      status: {},
      want: { 'EXTERNAL-IP': '<pending>' },
    },
    {
      name: 'LoadBalancer ready',
      spec: { type: 'LoadBalancer', clusterIPs: ['10.96.3.6'], ports: [] },
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.9' }, { hostname: 'lb.example.com' }] } },
      want: { 'EXTERNAL-IP': '192.0.2.9,lb.example.com', 'PORT(S)': '<none>' },
    },
    {
      name: 'headless',
      spec: {
        type: 'ClusterIP',
        clusterIP: 'None',
        clusterIPs: ['None'],
        ports: [{ port: 80, protocol: 'TCP' }],
      },
      status: {},
      want: { 'CLUSTER-IP': 'None' },
    },
    {
      name: 'ExternalName',
      spec: { type: 'ExternalName', externalName: 'db.example.com' },
      status: {},
      want: { 'CLUSTER-IP': '<none>', 'EXTERNAL-IP': 'db.example.com' },
    },
  ])('services: $name', ({ spec, status, want }) => {
    expect(row('Service', { metadata: meta('svc'), spec, status })).toMatchObject({
      NAME: 'svc',
      AGE: '2d3h',
      ...want,
    });
  });

  it('config maps, secrets, namespaces, service accounts, leases, runtime classes', () => {
    expect(
      row('ConfigMap', {
        metadata: meta('cfg'),
        data: { a: '1', b: '2' },
        binaryData: { c: 'AA==' },
      }),
    ).toEqual({ NAME: 'cfg', DATA: 3, AGE: '2d3h' });
    expect(
      row('Secret', {
        metadata: meta('tls'),
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': 'x', 'tls.key': 'y' },
      }),
    ).toEqual({ NAME: 'tls', TYPE: 'kubernetes.io/tls', DATA: 2, AGE: '2d3h' });
    expect(row('Namespace', { metadata: meta('dev'), status: { phase: 'Terminating' } })).toEqual({
      NAME: 'dev',
      STATUS: 'Terminating',
      AGE: '2d3h',
    });
    expect(row('ServiceAccount', { metadata: meta('default') })).toEqual({
      NAME: 'default',
      SECRETS: 0,
      AGE: '2d3h',
    });
    expect(row('Lease', { metadata: meta('node-1'), spec: { holderIdentity: 'node-1' } })).toEqual({
      NAME: 'node-1',
      HOLDER: 'node-1',
      AGE: '2d3h',
    });
    expect(row('RuntimeClass', { metadata: meta('gvisor'), handler: 'runsc' })).toEqual({
      NAME: 'gvisor',
      HANDLER: 'runsc',
      AGE: '2d3h',
    });
  });

  it('events', () => {
    const event = {
      metadata: meta('web-0.17a'),
      involvedObject: { kind: 'Pod', name: 'web-0', fieldPath: 'spec.containers{main}' },
      reason: 'Pulled',
      message: 'Container image "busybox" already present on machine\n',
      type: 'Normal',
      source: { component: 'kubelet', host: 'node-1' },
      firstTimestamp: '2026-03-01T11:50:00Z',
      lastTimestamp: '2026-03-01T11:59:30Z',
      count: 3,
    };
    expect(row('Event', event)).toEqual({
      'LAST SEEN': '30s',
      TYPE: 'Normal',
      REASON: 'Pulled',
      OBJECT: 'pod/web-0',
      SUBOBJECT: 'spec.containers{main}',
      SOURCE: 'kubelet, node-1',
      MESSAGE: 'Container image "busybox" already present on machine',
      'FIRST SEEN': '10m',
      COUNT: 3,
      NAME: 'web-0.17a',
    });
    const newer = {
      metadata: meta('e2'),
      involvedObject: { kind: 'Node' },
      type: 'Warning',
      reason: 'X',
      eventTime: '2026-03-01T11:59:00.000000Z',
      reportingController: 'skiff-scheduler',
    };
    expect(row('Event', newer)).toMatchObject({
      'LAST SEEN': '60s',
      'FIRST SEEN': '60s',
      OBJECT: 'node',
      COUNT: 1,
      SOURCE: 'skiff-scheduler',
    });
  });

  it('endpoints and endpoint slices', () => {
    const subsets = [
      {
        addresses: [{ ip: '10.1.0.1' }, { ip: '10.1.0.2' }, { ip: '10.1.0.3' }],
        ports: [{ port: 80 }, { port: 443 }],
      },
    ];
    expect(row('Endpoints', { metadata: meta('web'), subsets })).toMatchObject({
      ENDPOINTS: '10.1.0.1:80,10.1.0.2:80,10.1.0.3:80 + 3 more...',
    });
    expect(row('Endpoints', { metadata: meta('none') })).toMatchObject({ ENDPOINTS: '<none>' });
    expect(
      row('EndpointSlice', {
        metadata: meta('web-abc'),
        addressType: 'IPv4',
        ports: [{ port: 80 }],
        endpoints: [{ addresses: ['10.1.0.1'] }],
      }),
    ).toMatchObject({ ADDRESSTYPE: 'IPv4', PORTS: '80', ENDPOINTS: '10.1.0.1' });
  });

  it('ingresses and ingress classes', () => {
    const ing = {
      metadata: meta('web'),
      spec: {
        ingressClassName: 'nginx',
        rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }],
        tls: [{ hosts: ['a.example.com'] }],
      },
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } },
    };
    expect(row('Ingress', ing)).toEqual({
      NAME: 'web',
      CLASS: 'nginx',
      HOSTS: 'a.example.com,b.example.com',
      ADDRESS: '192.0.2.1',
      PORTS: '80, 443',
      AGE: '2d3h',
    });
    expect(row('Ingress', { metadata: meta('any'), spec: { rules: [{}] } })).toMatchObject({
      CLASS: '<none>',
      HOSTS: '*',
      ADDRESS: '',
      PORTS: '80',
    });
    expect(
      row('IngressClass', {
        metadata: meta('nginx'),
        spec: {
          controller: 'k8s.io/ingress-nginx',
          parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'p' },
        },
      }),
    ).toMatchObject({
      CONTROLLER: 'k8s.io/ingress-nginx',
      PARAMETERS: 'IngressParameters.k8s.example.com/p',
    });
  });

  it('persistent volumes, claims and storage classes', () => {
    const pv = {
      metadata: meta('pv-1'),
      spec: {
        capacity: { storage: '10Gi' },
        accessModes: ['ReadWriteMany', 'ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: 'local',
        claimRef: { namespace: 'default', name: 'data' },
        volumeMode: 'Filesystem',
      },
      status: { phase: 'Bound' },
    };
    expect(row('PersistentVolume', pv)).toEqual({
      NAME: 'pv-1',
      CAPACITY: '10Gi',
      'ACCESS MODES': 'RWO,RWX',
      'RECLAIM POLICY': 'Retain',
      STATUS: 'Bound',
      CLAIM: 'default/data',
      STORAGECLASS: 'local',
      VOLUMEATTRIBUTESCLASS: '<unset>',
      REASON: '',
      AGE: '2d3h',
      VOLUMEMODE: 'Filesystem',
    });
    const pvc = {
      metadata: meta('data'),
      spec: {
        volumeName: 'pv-1',
        storageClassName: 'local',
        resources: { requests: { storage: '5Gi' } },
      },
      status: { phase: 'Bound', capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'] },
    };
    expect(row('PersistentVolumeClaim', pvc)).toEqual({
      NAME: 'data',
      STATUS: 'Bound',
      VOLUME: 'pv-1',
      CAPACITY: '10Gi',
      'ACCESS MODES': 'RWO',
      STORAGECLASS: 'local',
      VOLUMEATTRIBUTESCLASS: '<unset>',
      AGE: '2d3h',
      VOLUMEMODE: '<unset>',
    });
    expect(
      row('PersistentVolumeClaim', {
        metadata: meta('p2'),
        spec: {},
        status: { phase: 'Pending' },
      }),
    ).toMatchObject({ VOLUME: '', CAPACITY: '', 'ACCESS MODES': '' });
    expect(row('PersistentVolume', { metadata: meta('pv-0'), spec: {}, status: {} })).toMatchObject(
      { CAPACITY: '0', 'ACCESS MODES': '', CLAIM: '' },
    );
    const sc = {
      metadata: meta('local', {
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      }),
      provisioner: 'skiff.dev/local',
    };
    expect(row('StorageClass', sc)).toEqual({
      NAME: 'local (default)',
      PROVISIONER: 'skiff.dev/local',
      RECLAIMPOLICY: 'Delete',
      VOLUMEBINDINGMODE: 'Immediate',
      ALLOWVOLUMEEXPANSION: false,
      AGE: '2d3h',
    });
  });
});
