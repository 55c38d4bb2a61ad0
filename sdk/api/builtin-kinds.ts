import {
  ControllerRevision,
  DaemonSet,
  Deployment,
  ReplicaSet,
  StatefulSet,
} from './apps/workloads.ts';
import type {
  HorizontalPodAutoscaler as HpaT,
  HorizontalPodAutoscalerV1 as HpaV1T,
} from './autoscaling/hpa.ts';
import { HorizontalPodAutoscaler, HorizontalPodAutoscalerV1 } from './autoscaling/hpa.ts';
import { hpaV1ToV2, hpaV2ToV1 } from './autoscaling/hpa-conversion.ts';
import { CronJob, Job } from './batch/jobs.ts';
import { Lease } from './cluster/lease.ts';
import { RuntimeClass } from './cluster/runtime-class.ts';
import { coreKinds } from './core/kinds.ts';
import * as d from './defaults/others.ts';
import * as w from './defaults/workloads.ts';
import { defineKind, type KindDefinition, KindRegistry } from './kinds.ts';
import type { KubeObject } from './meta.ts';
import { EndpointSlice } from './networking/endpoint-slice.ts';
import type {
  Ingress as IngressT,
  IngressV1beta1 as IngressV1beta1T,
} from './networking/ingress.ts';
import { Ingress, IngressClass, IngressV1beta1 } from './networking/ingress.ts';
import { ingressV1beta1ToV1, ingressV1ToV1beta1 } from './networking/ingress-conversion.ts';
import { policyKinds } from './policy-kinds.ts';
import { StorageClass } from './storage/storage-class.ts';
import * as cv from './validation/config-validation.ts';
import { nameIsDnsSubdomain } from './validation/names.ts';
import * as sv from './validation/service-validation.ts';
import * as uv from './validation/update-validation.ts';
import * as wv from './validation/workload-validation.ts';

const sub = nameIsDnsSubdomain;
const all = ['all'];
const status: ('status' | 'scale')[] = ['status'];
const scalable: ('status' | 'scale')[] = ['status', 'scale'];

function ingressBeta(group: string): KindDefinition {
  const apiVersion = `${group}/v1beta1`;
  return defineKind<IngressV1beta1T>({
    group,
    version: 'v1beta1',
    kind: 'Ingress',
    plural: 'ingresses',
    namespaced: true,
    schema: IngressV1beta1,
    nameRule: sub,
    shortNames: ['ing'],
    subresources: status,
    preferred: false,
    deprecated: `${apiVersion} Ingress is deprecated in v1.14+, unavailable in v1.22+; use networking.k8s.io/v1 Ingress`,
    conversion: {
      hubVersion: 'networking.k8s.io/v1',
      toHub: (o) => ingressV1beta1ToV1(o as IngressV1beta1T) as KubeObject,
      fromHub: (o) => ingressV1ToV1beta1(o as IngressT, apiVersion) as KubeObject,
    },
    defaults: d.defaultIngressV1beta1InPlace,
    // Validated in the hub shape, so both versions obey one set of rules.
    rules: (o) => {
      const v1 = ingressV1beta1ToV1(o);
      return sv.validateIngress(v1);
    },
  });
}

/** builtinKinds are the kinds skiff serves out of the box, every served version of each. */
export const builtinKinds: readonly KindDefinition[] = Object.freeze([
  ...coreKinds,
  defineKind({
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    plural: 'deployments',
    namespaced: true,
    schema: Deployment,
    nameRule: sub,
    shortNames: ['deploy'],
    categories: all,
    subresources: scalable,
    defaults: w.defaultDeploymentInPlace,
    rules: wv.validateDeployment,
    updateRules: uv.validateSelectorUpdate,
  }),
  defineKind({
    group: 'apps',
    version: 'v1',
    kind: 'ReplicaSet',
    plural: 'replicasets',
    namespaced: true,
    schema: ReplicaSet,
    nameRule: sub,
    shortNames: ['rs'],
    categories: all,
    subresources: scalable,
    defaults: w.defaultReplicaSetInPlace,
    rules: wv.validateReplicaSet,
    updateRules: uv.validateSelectorUpdate,
  }),
  defineKind({
    group: 'apps',
    version: 'v1',
    kind: 'DaemonSet',
    plural: 'daemonsets',
    namespaced: true,
    schema: DaemonSet,
    nameRule: sub,
    shortNames: ['ds'],
    categories: all,
    subresources: status,
    defaults: w.defaultDaemonSetInPlace,
    rules: wv.validateDaemonSet,
    updateRules: uv.validateSelectorUpdate,
  }),
  defineKind({
    group: 'apps',
    version: 'v1',
    kind: 'StatefulSet',
    plural: 'statefulsets',
    namespaced: true,
    schema: StatefulSet,
    nameRule: sub,
    shortNames: ['sts'],
    categories: all,
    subresources: scalable,
    defaults: w.defaultStatefulSetInPlace,
    rules: wv.validateStatefulSet,
    updateRules: (n, p) => [
      ...uv.validateSelectorUpdate(n, p),
      ...uv.validateStatefulSetUpdate(n, p),
    ],
  }),
  defineKind({
    group: 'apps',
    version: 'v1',
    kind: 'ControllerRevision',
    plural: 'controllerrevisions',
    namespaced: true,
    schema: ControllerRevision,
    nameRule: sub,
    rules: cv.validateControllerRevision,
  }),
  defineKind({
    group: 'batch',
    version: 'v1',
    kind: 'Job',
    plural: 'jobs',
    namespaced: true,
    schema: Job,
    nameRule: sub,
    categories: all,
    subresources: status,
    defaults: w.defaultJobInPlace,
    rules: wv.validateJob,
    updateRules: uv.validateJobUpdate,
  }),
  defineKind({
    group: 'batch',
    version: 'v1',
    kind: 'CronJob',
    plural: 'cronjobs',
    namespaced: true,
    schema: CronJob,
    nameRule: sub,
    shortNames: ['cj'],
    categories: all,
    subresources: status,
    defaults: w.defaultCronJobInPlace,
    rules: wv.validateCronJob,
  }),
  defineKind<HpaT>({
    group: 'autoscaling',
    version: 'v2',
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    namespaced: true,
    schema: HorizontalPodAutoscaler,
    nameRule: sub,
    shortNames: ['hpa'],
    categories: all,
    subresources: status,
    defaults: w.defaultHpaInPlace,
    rules: wv.validateHpa,
  }),
  defineKind<HpaV1T>({
    group: 'autoscaling',
    version: 'v1',
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    namespaced: true,
    schema: HorizontalPodAutoscalerV1,
    nameRule: sub,
    shortNames: ['hpa'],
    categories: all,
    subresources: status,
    preferred: false,
    conversion: {
      hubVersion: 'autoscaling/v2',
      toHub: (o) => hpaV1ToV2(o as HpaV1T) as KubeObject,
      fromHub: (o) => hpaV2ToV1(o as HpaT) as KubeObject,
    },
    defaults: w.defaultHpaV1InPlace,
    rules: wv.validateHpaV1,
  }),
  defineKind<IngressT>({
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'Ingress',
    plural: 'ingresses',
    namespaced: true,
    schema: Ingress,
    nameRule: sub,
    shortNames: ['ing'],
    subresources: status,
    rules: sv.validateIngress,
  }),
  ingressBeta('extensions'),
  ingressBeta('networking.k8s.io'),
  defineKind({
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'IngressClass',
    plural: 'ingressclasses',
    namespaced: false,
    schema: IngressClass,
    nameRule: sub,
    rules: sv.validateIngressClass,
  }),
  defineKind({
    group: 'storage.k8s.io',
    version: 'v1',
    kind: 'StorageClass',
    plural: 'storageclasses',
    namespaced: false,
    schema: StorageClass,
    nameRule: sub,
    shortNames: ['sc'],
    defaults: d.defaultStorageClassInPlace,
    rules: cv.validateStorageClass,
  }),
  defineKind({
    group: 'coordination.k8s.io',
    version: 'v1',
    kind: 'Lease',
    plural: 'leases',
    namespaced: true,
    schema: Lease,
    nameRule: sub,
    rules: cv.validateLease,
  }),
  defineKind({
    group: 'node.k8s.io',
    version: 'v1',
    kind: 'RuntimeClass',
    plural: 'runtimeclasses',
    namespaced: false,
    schema: RuntimeClass,
    nameRule: sub,
    rules: cv.validateRuntimeClass,
  }),
  defineKind({
    group: 'discovery.k8s.io',
    version: 'v1',
    kind: 'EndpointSlice',
    plural: 'endpointslices',
    namespaced: true,
    schema: EndpointSlice,
    nameRule: sub,
    defaults: d.defaultEndpointSliceInPlace,
    rules: sv.validateEndpointSlice,
  }),
  ...policyKinds,
]);

/** builtinKindRegistry returns a fresh registry holding the built-in kinds (add your own to it). */
export function builtinKindRegistry(): KindRegistry {
  return new KindRegistry(builtinKinds);
}
