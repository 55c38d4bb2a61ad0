import type { Namespace, Secret } from '../core/config.ts';
import type { PersistentVolume, PersistentVolumeClaim } from '../core/persistent-volume.ts';
import type { Endpoints, Service } from '../core/service.ts';
import type { EndpointSlice } from '../networking/endpoint-slice.ts';
import type { IngressV1beta1 } from '../networking/ingress.ts';
import type { StorageClass } from '../storage/storage-class.ts';

/** defaultServiceInPlace applies v1 Service defaults. */
export function defaultServiceInPlace(svc: Service): void {
  const spec = svc.spec;
  if (spec === undefined) return;
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    spec.sessionAffinityConfig ??= {};
    spec.sessionAffinityConfig.clientIP ??= {};
    spec.sessionAffinityConfig.clientIP.timeoutSeconds ??= 10800;
  }
  for (const port of spec.ports ?? []) {
    port.protocol ??= 'TCP';
    port.targetPort ??= port.port;
  }
  if (spec.type !== 'ExternalName') spec.internalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer')
    spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
}

/** defaultEndpointsInPlace gives endpoint ports protocol TCP. */
export function defaultEndpointsInPlace(ep: Endpoints): void {
  for (const subset of ep.subsets ?? []) for (const p of subset.ports ?? []) p.protocol ??= 'TCP';
}

/** defaultEndpointSliceInPlace gives slice ports protocol TCP. */
export function defaultEndpointSliceInPlace(slice: EndpointSlice): void {
  for (const p of slice.ports ?? []) p.protocol ??= 'TCP';
}

/** defaultNamespaceInPlace marks a namespace Active. */
export function defaultNamespaceInPlace(ns: Namespace): void {
  ns.status ??= {};
  ns.status.phase ??= 'Active';
}

/** defaultSecretInPlace gives a secret type Opaque and folds stringData into data. */
export function defaultSecretInPlace(secret: Secret): void {
  secret.type ??= 'Opaque';
  // stringData is write-only: it is merged into data (winning over it) and never stored.
  if (secret.stringData !== undefined) {
    const data = { ...(secret.data ?? {}) };
    for (const [key, value] of Object.entries(secret.stringData))
      data[key] = Buffer.from(value, 'utf8').toString('base64');
    secret.data = data;
    delete secret.stringData;
  }
}

/** defaultPersistentVolumeInPlace applies v1 PersistentVolume defaults. */
export function defaultPersistentVolumeInPlace(pv: PersistentVolume): void {
  if (pv.spec !== undefined) {
    pv.spec.persistentVolumeReclaimPolicy ??= 'Retain';
    pv.spec.volumeMode ??= 'Filesystem';
  }
  pv.status ??= {};
  pv.status.phase ??= 'Pending';
}

/** defaultPersistentVolumeClaimInPlace applies v1 PersistentVolumeClaim defaults. */
export function defaultPersistentVolumeClaimInPlace(pvc: PersistentVolumeClaim): void {
  if (pvc.spec !== undefined) pvc.spec.volumeMode ??= 'Filesystem';
  pvc.status ??= {};
  pvc.status.phase ??= 'Pending';
}

/** defaultStorageClassInPlace applies storage.k8s.io/v1 StorageClass defaults. */
export function defaultStorageClassInPlace(sc: StorageClass): void {
  sc.reclaimPolicy ??= 'Delete';
  sc.volumeBindingMode ??= 'Immediate';
}

/** defaultIngressV1beta1InPlace gives paths pathType ImplementationSpecific, as v1beta1 did. */
export function defaultIngressV1beta1InPlace(ing: IngressV1beta1): void {
  for (const rule of ing.spec?.rules ?? [])
    for (const p of rule.http?.paths ?? []) p.pathType ??= 'ImplementationSpecific';
}
