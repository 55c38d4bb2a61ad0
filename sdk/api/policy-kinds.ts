import { defaultPodTemplateInPlace } from './defaults/pod.ts';
import { defineKind, type KindDefinition } from './kinds.ts';
import {
  LimitRange,
  PodDisruptionBudget,
  PodTemplate,
  type PodTemplate as PodTemplateT,
  PriorityClass,
  type PriorityClass as PriorityClassT,
  ResourceQuota,
} from './policy/policy.ts';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from './rbac/rbac.ts';
import { nameIsDnsSubdomain, nameIsPathSegment } from './validation/names.ts';
import * as pv from './validation/policy-validation.ts';
import { validateBindingUpdate } from './validation/update-validation.ts';

const sub = nameIsDnsSubdomain;
const rbac = 'rbac.authorization.k8s.io';

/** policyKinds are the access-control and policy kinds charts commonly ship with workloads. */
export const policyKinds: readonly KindDefinition[] = Object.freeze([
  defineKind<PodTemplateT>({
    group: '',
    version: 'v1',
    kind: 'PodTemplate',
    plural: 'podtemplates',
    namespaced: true,
    schema: PodTemplate,
    nameRule: sub,
    defaults: (p) => defaultPodTemplateInPlace(p.template),
    rules: pv.validatePodTemplateKind,
  }),
  defineKind({
    group: '',
    version: 'v1',
    kind: 'ResourceQuota',
    plural: 'resourcequotas',
    namespaced: true,
    schema: ResourceQuota,
    nameRule: sub,
    shortNames: ['quota'],
    subresources: ['status'],
    rules: pv.validateResourceQuota,
  }),
  defineKind({
    group: '',
    version: 'v1',
    kind: 'LimitRange',
    plural: 'limitranges',
    namespaced: true,
    schema: LimitRange,
    nameRule: sub,
    shortNames: ['limits'],
    rules: pv.validateLimitRange,
  }),
  defineKind({
    group: 'policy',
    version: 'v1',
    kind: 'PodDisruptionBudget',
    plural: 'poddisruptionbudgets',
    namespaced: true,
    schema: PodDisruptionBudget,
    nameRule: sub,
    shortNames: ['pdb'],
    subresources: ['status'],
    rules: pv.validatePodDisruptionBudget,
  }),
  defineKind<PriorityClassT>({
    group: 'scheduling.k8s.io',
    version: 'v1',
    kind: 'PriorityClass',
    plural: 'priorityclasses',
    namespaced: false,
    schema: PriorityClass,
    nameRule: sub,
    shortNames: ['pc'],
    defaults: (pc) => {
      pc.preemptionPolicy ??= 'PreemptLowerPriority';
    },
    rules: pv.validatePriorityClass,
  }),
  defineKind({
    group: rbac,
    version: 'v1',
    kind: 'Role',
    plural: 'roles',
    namespaced: true,
    schema: Role,
    nameRule: nameIsPathSegment,
    rules: pv.validateRole,
  }),
  defineKind({
    group: rbac,
    version: 'v1',
    kind: 'ClusterRole',
    plural: 'clusterroles',
    namespaced: false,
    schema: ClusterRole,
    nameRule: nameIsPathSegment,
    rules: pv.validateClusterRole,
  }),
  defineKind({
    group: rbac,
    version: 'v1',
    kind: 'RoleBinding',
    plural: 'rolebindings',
    namespaced: true,
    schema: RoleBinding,
    nameRule: nameIsPathSegment,
    rules: pv.validateRoleBinding,
    updateRules: validateBindingUpdate,
  }),
  defineKind({
    group: rbac,
    version: 'v1',
    kind: 'ClusterRoleBinding',
    plural: 'clusterrolebindings',
    namespaced: false,
    schema: ClusterRoleBinding,
    nameRule: nameIsPathSegment,
    rules: pv.validateClusterRoleBinding,
    updateRules: validateBindingUpdate,
  }),
]);
