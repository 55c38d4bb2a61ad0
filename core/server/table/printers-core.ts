import type { KubeObject } from '../../../sdk/api/meta.ts';
import {
  age,
  ageCol,
  col,
  int,
  list,
  name,
  nameCol,
  type Obj,
  obj,
  type Printer,
  printer,
  spec,
  status,
  str,
  strMap,
} from './cells.ts';
import { accessModes, formatLabels, listWithMore, since } from './format.ts';
import { podRow } from './pods.ts';

/** quantity prints a resource quantity; a missing one is zero, as Kubernetes prints it. */
const quantity = (v: unknown): string => (v === undefined || v === null ? '0' : String(v));

function servicePorts(ports: Obj[]): string {
  const text = ports
    .map((p) => {
      const protocol = str(p.protocol) || 'TCP';
      return int(p.nodePort) > 0
        ? `${int(p.port)}:${int(p.nodePort)}/${protocol}`
        : `${int(p.port)}/${protocol}`;
    })
    .join(',');
  return text === '' ? '<none>' : text;
}

function loadBalancerAddresses(lb: unknown): string {
  const found = list(obj(lb).ingress)
    .map((i) => str(i.ip) || str(i.hostname))
    .filter((a) => a !== '');
  return [...new Set(found)].sort().join(',');
}

function serviceExternalIP(svc: KubeObject): string {
  const s = spec(svc);
  const external = (Array.isArray(s.externalIPs) ? s.externalIPs : []) as string[];
  switch (str(s.type) || 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return external.length > 0 ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(status(svc).loadBalancer);
      if (external.length > 0) return [...(lb === '' ? [] : lb.split(',')), ...external].join(',');
      return lb === '' ? '<pending>' : lb;
    }
    case 'ExternalName':
      return str(s.externalName);
    default:
      return '<unknown>';
  }
}

function endpointsCell(subsets: Obj[]): string {
  if (subsets.length === 0) return '<none>';
  const all: string[] = [];
  for (const ss of subsets) {
    const addresses = list(ss.addresses).map((a) => str(a.ip));
    const ports = list(ss.ports);
    if (ports.length === 0) all.push(...addresses);
    for (const p of ports)
      for (const ip of addresses)
        all.push(ip.includes(':') ? `[${ip}]:${int(p.port)}` : `${ip}:${int(p.port)}`);
  }
  return listWithMore(all, 3, '');
}

function nodeRoles(labels: Record<string, string>): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length)
      roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v !== '') roles.add(v);
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

function nodeStatus(node: KubeObject): string {
  const ready = list(status(node).conditions).find((c) => c.type === 'Ready');
  const parts = [ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'];
  if (spec(node).unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

const nodeAddress = (node: KubeObject, type: string): string =>
  str(list(status(node).addresses).find((a) => a.type === type)?.address) || '<none>';

function eventSource(event: KubeObject): string {
  const source = obj(event.source);
  const component = str(source.component) || str(event.reportingController);
  const host = str(source.host) || str(event.reportingInstance);
  return host === '' ? component : `${component}, ${host}`;
}

/** corePrinters holds the printers of the core, networking, storage and cluster kinds. */
export const corePrinters: Readonly<Record<string, Printer>> = {
  Pod: {
    columns: [
      nameCol,
      col('Ready', 'string', 'Ready containers out of all containers.'),
      col('Status', 'string', 'A summary of the state of the pod and its containers.'),
      col('Restarts', 'string', 'Container restarts, and how long ago the last one was.'),
      ageCol,
      col('IP', 'string', 'The first IP address of the pod.', 1),
      col('Node', 'string', 'The node the pod is bound to.', 1),
      col('Nominated Node', 'string', 'The node the scheduler nominated by preemption.', 1),
      col('Readiness Gates', 'string', 'Readiness gates that hold out of all gates.', 1),
    ],
    row: podRow,
  },
  Node: printer(
    [
      nameCol,
      col('Status', 'string', 'Whether the node is ready and schedulable.'),
      col('Roles', 'string', 'The roles the node labels name.'),
      ageCol,
      col('Version', 'string', 'The version the node agent reports.'),
      col('Internal-IP', 'string', 'The internal address of the node.', 1),
      col('External-IP', 'string', 'The external address of the node.', 1),
      col('OS-Image', 'string', 'The operating system image of the node.', 1),
      col('Kernel-Version', 'string', 'The kernel version of the node.', 1),
      col('Container-Runtime', 'string', 'The container runtime and its version.', 1),
    ],
    (o, now) => {
      const info = obj(status(o).nodeInfo);
      return [
        name(o),
        nodeStatus(o),
        nodeRoles(o.metadata?.labels ?? {}),
        age(o, now),
        str(info.kubeletVersion),
        nodeAddress(o, 'InternalIP'),
        nodeAddress(o, 'ExternalIP'),
        str(info.osImage) || '<unknown>',
        str(info.kernelVersion) || '<unknown>',
        str(info.containerRuntimeVersion) || '<unknown>',
      ];
    },
  ),
  Service: printer(
    [
      nameCol,
      col('Type', 'string', 'How the service is exposed.'),
      col('Cluster-IP', 'string', 'The virtual IP of the service inside the cluster.'),
      col('External-IP', 'string', 'Addresses the service is reachable at from outside.'),
      col('Port(s)', 'string', 'Service ports, with node ports when allocated.'),
      ageCol,
      col('Selector', 'string', 'The labels of the pods behind the service.', 1),
    ],
    (o, now) => {
      const s = spec(o);
      const clusterIPs = Array.isArray(s.clusterIPs) ? (s.clusterIPs as string[]) : [];
      return [
        name(o),
        str(s.type) || 'ClusterIP',
        clusterIPs[0] ?? (str(s.clusterIP) || '<none>'),
        serviceExternalIP(o),
        servicePorts(list(s.ports)),
        age(o, now),
        formatLabels(strMap(s.selector)),
      ];
    },
  ),
  Endpoints: printer(
    [nameCol, col('Endpoints', 'string', 'Addresses and ports of the endpoints.'), ageCol],
    (o, now) => [name(o), endpointsCell(list(o.subsets)), age(o, now)],
  ),
  EndpointSlice: printer(
    [
      nameCol,
      col('AddressType', 'string', 'The kind of address the slice holds.'),
      col('Ports', 'string', 'The ports of the slice.'),
      col('Endpoints', 'string', 'The addresses of the slice.'),
      ageCol,
    ],
    (o, now) => [
      name(o),
      str(o.addressType),
      listWithMore(
        list(o.ports).map((p) =>
          typeof p.port === 'number' ? String(p.port) : str(p.name) || '*',
        ),
        3,
        '<unset>',
      ),
      listWithMore(
        list(o.endpoints).flatMap((e) =>
          Array.isArray(e.addresses) ? (e.addresses as string[]) : [],
        ),
        3,
        '<unset>',
      ),
      age(o, now),
    ],
  ),
  Namespace: printer(
    [nameCol, col('Status', 'string', 'The phase of the namespace.'), ageCol],
    (o, now) => [name(o), str(status(o).phase), age(o, now)],
  ),
  ConfigMap: printer([nameCol, col('Data', 'string', 'The number of keys.'), ageCol], (o, now) => [
    name(o),
    Object.keys(obj(o.data)).length + Object.keys(obj(o.binaryData)).length,
    age(o, now),
  ]),
  Secret: printer(
    [
      nameCol,
      col('Type', 'string', 'The type of the secret.'),
      col('Data', 'string', 'The number of keys.'),
      ageCol,
    ],
    (o, now) => [name(o), str(o.type), Object.keys(obj(o.data)).length, age(o, now)],
  ),
  ServiceAccount: printer(
    [nameCol, col('Secrets', 'string', 'The number of secrets listed.'), ageCol],
    (o, now) => [name(o), list(o.secrets).length, age(o, now)],
  ),
  Event: printer(
    [
      col('Last Seen', 'string', 'How long ago the event was last seen.'),
      col('Type', 'string', 'Normal or Warning.'),
      col('Reason', 'string', 'A short machine-readable cause.'),
      col('Object', 'string', 'The object the event is about.'),
      col('Subobject', 'string', 'The part of the object the event is about.', 1),
      col('Source', 'string', 'The component that reported the event.', 1),
      col('Message', 'string', 'What happened, for people.'),
      col('First Seen', 'string', 'How long ago the event was first seen.', 1),
      col('Count', 'string', 'How often the event happened.', 1),
      { ...nameCol, priority: 1 },
    ],
    (o, now) => {
      const involved = obj(o.involvedObject);
      const series = o.series === undefined ? undefined : obj(o.series);
      const first =
        str(o.firstTimestamp) !== '' ? since(o.firstTimestamp, now) : since(o.eventTime, now);
      let last = str(o.lastTimestamp) !== '' ? since(o.lastTimestamp, now) : first;
      let count = int(o.count);
      if (series !== undefined) {
        last = since(series.lastObservedTime, now);
        count = int(series.count);
      } else if (count === 0) count = 1;
      const kind = str(involved.kind).toLowerCase();
      const target = str(involved.name) === '' ? kind : `${kind}/${str(involved.name)}`;
      return [
        last,
        str(o.type),
        str(o.reason),
        target,
        str(involved.fieldPath),
        eventSource(o),
        str(o.message).trim(),
        first,
        count,
        name(o),
      ];
    },
  ),
  PersistentVolume: printer(
    [
      nameCol,
      col('Capacity', 'string', 'The storage the volume offers.'),
      col('Access Modes', 'string', 'How the volume can be mounted.'),
      col('Reclaim Policy', 'string', 'What happens to the volume when its claim goes.'),
      col('Status', 'string', 'The phase of the volume.'),
      col('Claim', 'string', 'The claim bound to the volume.'),
      col('StorageClass', 'string', 'The storage class of the volume.'),
      col('VolumeAttributesClass', 'string', 'The volume attributes class of the volume.'),
      col('Reason', 'string', 'Why the volume is in its phase.'),
      ageCol,
      col('VolumeMode', 'string', 'Filesystem or Block.', 1),
    ],
    (o, now) => {
      const s = spec(o);
      const claim = obj(s.claimRef);
      const storageClass =
        o.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ??
        str(s.storageClassName);
      return [
        name(o),
        quantity(obj(s.capacity).storage),
        accessModes(s.accessModes),
        str(s.persistentVolumeReclaimPolicy),
        o.metadata?.deletionTimestamp !== undefined ? 'Terminating' : str(status(o).phase),
        s.claimRef === undefined ? '' : `${str(claim.namespace)}/${str(claim.name)}`,
        storageClass,
        str(s.volumeAttributesClassName) || '<unset>',
        str(status(o).reason),
        age(o, now),
        str(s.volumeMode) || '<unset>',
      ];
    },
  ),
  PersistentVolumeClaim: printer(
    [
      nameCol,
      col('Status', 'string', 'The phase of the claim.'),
      col('Volume', 'string', 'The volume bound to the claim.'),
      col('Capacity', 'string', 'The storage of the bound volume.'),
      col('Access Modes', 'string', 'How the bound volume can be mounted.'),
      col('StorageClass', 'string', 'The storage class of the claim.'),
      col('VolumeAttributesClass', 'string', 'The volume attributes class of the claim.'),
      ageCol,
      col('VolumeMode', 'string', 'Filesystem or Block.', 1),
    ],
    (o, now) => {
      const s = spec(o);
      const bound = str(s.volumeName) !== '';
      const storageClass =
        o.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ??
        str(s.storageClassName);
      return [
        name(o),
        o.metadata?.deletionTimestamp !== undefined ? 'Terminating' : str(status(o).phase),
        str(s.volumeName),
        bound ? quantity(obj(status(o).capacity).storage) : '',
        bound ? accessModes(status(o).accessModes) : '',
        storageClass,
        str(s.volumeAttributesClassName) || '<unset>',
        age(o, now),
        str(s.volumeMode) || '<unset>',
      ];
    },
  ),
  Ingress: printer(
    [
      nameCol,
      col('Class', 'string', 'The ingress class that serves the ingress.'),
      col('Hosts', 'string', 'Host names the rules match.'),
      col('Address', 'string', 'Addresses of the load balancer.'),
      col('Ports', 'string', 'Ports the ingress opens.'),
      ageCol,
    ],
    (o, now) => {
      const s = spec(o);
      const rules = list(s.rules);
      const hosts = rules.map((r) => str(r.host)).filter((h) => h !== '');
      const shownHosts = hosts.slice(0, 3).join(',');
      return [
        name(o),
        str(s.ingressClassName) || '<none>',
        hosts.length === 0
          ? '*'
          : rules.length > 3
            ? `${shownHosts} + ${rules.length - 3} more...`
            : shownHosts,
        loadBalancerAddresses(status(o).loadBalancer),
        list(s.tls).length > 0 ? '80, 443' : '80',
        age(o, now),
      ];
    },
  ),
  IngressClass: printer(
    [
      nameCol,
      col('Controller', 'string', 'The controller that implements the class.'),
      col('Parameters', 'string', 'The object holding extra configuration.'),
      ageCol,
    ],
    (o, now) => {
      const s = spec(o);
      const p = s.parameters === undefined ? undefined : obj(s.parameters);
      const params =
        p === undefined
          ? '<none>'
          : `${str(p.kind)}${str(p.apiGroup) === '' ? '' : `.${str(p.apiGroup)}`}/${str(p.name)}`;
      return [name(o), str(s.controller), params, age(o, now)];
    },
  ),
  StorageClass: printer(
    [
      nameCol,
      col('Provisioner', 'string', 'The provisioner that creates volumes.'),
      col('ReclaimPolicy', 'string', 'What happens to volumes when their claim goes.'),
      col('VolumeBindingMode', 'string', 'When volumes are bound.'),
      col('AllowVolumeExpansion', 'string', 'Whether volumes may grow.'),
      ageCol,
    ],
    (o, now) => {
      const annotations = o.metadata?.annotations ?? {};
      const isDefault =
        annotations['storageclass.kubernetes.io/is-default-class'] === 'true' ||
        annotations['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
      return [
        isDefault ? `${name(o)} (default)` : name(o),
        str(o.provisioner),
        str(o.reclaimPolicy) || 'Delete',
        str(o.volumeBindingMode) || 'Immediate',
        o.allowVolumeExpansion === true,
        age(o, now),
      ];
    },
  ),
  Lease: printer([nameCol, col('Holder', 'string', 'Who holds the lease.'), ageCol], (o, now) => [
    name(o),
    str(spec(o).holderIdentity),
    age(o, now),
  ]),
  RuntimeClass: printer(
    [nameCol, col('Handler', 'string', 'The runtime handler the class selects.'), ageCol],
    (o, now) => [name(o), str(o.handler), age(o, now)],
  ),
};
