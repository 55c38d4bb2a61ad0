import * as d from '../defaults/others.ts';
import { defaultPodSpecInPlace, defaultTolerationsInPlace } from '../defaults/pod.ts';
import { defaultReplicationControllerInPlace } from '../defaults/workloads.ts';
import { defineKind, type KindDefinition } from '../kinds.ts';
import * as cv from '../validation/config-validation.ts';
import { nameIsDns1035Label, nameIsDnsLabel, nameIsDnsSubdomain } from '../validation/names.ts';
import { validatePodSpec } from '../validation/pod-validation.ts';
import * as sv from '../validation/service-validation.ts';
import * as uv from '../validation/update-validation.ts';
import { validateReplicationController } from '../validation/workload-validation.ts';
import { ConfigMap, Namespace, Secret, ServiceAccount } from './config.ts';
import { Event } from './event.ts';
import { Node } from './node.ts';
import { PersistentVolume, PersistentVolumeClaim } from './persistent-volume.ts';
import { Pod, type Pod as PodT } from './pod.ts';
import { ReplicationController } from './replication-controller.ts';
import { Endpoints, Service } from './service.ts';

const sub = nameIsDnsSubdomain;
const all = ['all'];
const status: ('status' | 'scale')[] = ['status'];
const scalable: ('status' | 'scale')[] = ['status', 'scale'];

/** coreKinds are the built-in kinds of the core group (apiVersion v1). */
export const coreKinds: readonly KindDefinition[] = Object.freeze([
  defineKind<PodT>({
    group: '',
    version: 'v1',
    kind: 'Pod',
    plural: 'pods',
    namespaced: true,
    schema: Pod,
    nameRule: sub,
    shortNames: ['po'],
    categories: all,
    subresources: status,
    defaults: (p) => {
      if (p.spec !== undefined) defaultPodSpecInPlace(p.spec);
      if (p.spec !== undefined) defaultTolerationsInPlace(p.spec);
    },
    rules: (p) => validatePodSpec(p.spec, 'spec'),
    updateRules: uv.validatePodUpdate,
  }),
  defineKind({
    group: '',
    version: 'v1',
    kind: 'Node',
    plural: 'nodes',
    namespaced: false,
    schema: Node,
    nameRule: sub,
    shortNames: ['no'],
    subresources: status,
    rules: cv.validateNode,
  }),
  defineKind({
    group: '',
    version: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    namespaced: false,
    schema: Namespace,
    nameRule: nameIsDnsLabel,
    shortNames: ['ns'],
    subresources: status,
    defaults: d.defaultNamespaceInPlace,
    rules: cv.validateNamespace,
  }),
  defineKind({
    group: '',
    version: 'v1',
    kind: 'Service',
    plural: 'services',
    namespaced: true,
    schema: Service,
    nameRule: nameIsDns1035Label,
    shortNames: ['svc'],
    categories: all,
    subresources: status,
    defaults: d.defaultServiceInPlace,
    rules: sv.validateService,
    updateRules: uv.validateServiceUpdate,
  }),
  defineKind({
    group: '',
    version: 'v1',
    kind: 'Endpoints',
    plural: 'endpoints',
    namespaced: true,
    schema: Endpoints,
    nameRule: sub,
    shortNames: ['ep'],
    defaults: d.defaultEndpointsInPlace,
    rules: sv.validateEndpoints,
  }),
  defineKind({
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    plural: 'configmaps',
    namespaced: true,
    schema: ConfigMap,
    nameRule: sub,
    shortNames: ['cm'],
    rules: cv.validateConfigMap,
    updateRules: uv.validateImmutableDataUpdate,
  }),
  defineKind({
    group: '',
    version: 'v1',
    kind: 'Secret',
    plural: 'secrets',
    namespaced: true,
    schema: Secret,
    nameRule: sub,
    defaults: d.defaultSecretInPlace,
    rules: cv.validateSecret,
    updateRules: uv.validateImmutableDataUpdate,
  }),
  defineKind({
    group: '',
    version: 'v1',
    kind: 'Event',
    plural: 'events',
    namespaced: true,
    schema: Event,
    nameRule: sub,
    shortNames: ['ev'],
    rules: cv.validateEvent,
  }),
  defineKind({
    group: '',
    version: 'v1',
    kind: 'ServiceAccount',
    plural: 'serviceaccounts',
    namespaced: true,
    schema: ServiceAccount,
    nameRule: sub,
    shortNames: ['sa'],
    rules: cv.validateServiceAccount,
  }),
  defineKind({
    group: '',
    version: 'v1',
    kind: 'PersistentVolume',
    plural: 'persistentvolumes',
    namespaced: false,
    schema: PersistentVolume,
    nameRule: sub,
    shortNames: ['pv'],
    subresources: status,
    defaults: d.defaultPersistentVolumeInPlace,
    rules: cv.validatePersistentVolume,
  }),
  defineKind({
    group: '',
    version: 'v1',
    kind: 'PersistentVolumeClaim',
    plural: 'persistentvolumeclaims',
    namespaced: true,
    schema: PersistentVolumeClaim,
    nameRule: sub,
    shortNames: ['pvc'],
    subresources: status,
    defaults: d.defaultPersistentVolumeClaimInPlace,
    rules: cv.validatePersistentVolumeClaim,
    updateRules: uv.validateClaimUpdate,
  }),
  defineKind({
    group: '',
    version: 'v1',
    kind: 'ReplicationController',
    plural: 'replicationcontrollers',
    namespaced: true,
    schema: ReplicationController,
    nameRule: sub,
    shortNames: ['rc'],
    categories: all,
    subresources: scalable,
    defaults: defaultReplicationControllerInPlace,
    rules: validateReplicationController,
  }),
]);
