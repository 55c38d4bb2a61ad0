import type { Static } from '@sinclair/typebox';
import { LabelSelector, ObjectMeta, TypeMeta } from '../meta.ts';
import { arr, obj, opt, str } from '../schema-kit.ts';

/** PolicyRule grants verbs on resources (or non-resource URLs). */
export const PolicyRule = obj({
  verbs: arr(str()),
  apiGroups: opt(arr(str())),
  resources: opt(arr(str())),
  resourceNames: opt(arr(str())),
  nonResourceURLs: opt(arr(str())),
});
export type PolicyRule = Static<typeof PolicyRule>;

/** Subject is a user, group or service account a binding names. */
export const Subject = obj({
  kind: str(),
  apiGroup: opt(str()),
  name: str(),
  namespace: opt(str()),
});
export type Subject = Static<typeof Subject>;

/** RoleRef names the Role or ClusterRole a binding grants. */
export const RoleRef = obj({ apiGroup: str(), kind: str(), name: str() });

/** Role (rbac.authorization.k8s.io/v1) is a namespaced set of rules. */
export const Role = obj({ ...TypeMeta, metadata: opt(ObjectMeta), rules: opt(arr(PolicyRule)) });
export type Role = Static<typeof Role>;

/** ClusterRole is a cluster-wide set of rules, possibly aggregated from others by label. */
export const ClusterRole = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  rules: opt(arr(PolicyRule)),
  aggregationRule: opt(obj({ clusterRoleSelectors: opt(arr(LabelSelector)) })),
});
export type ClusterRole = Static<typeof ClusterRole>;

/** RoleBinding grants a role to subjects inside one namespace. */
export const RoleBinding = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  subjects: opt(arr(Subject)),
  roleRef: RoleRef,
});
export type RoleBinding = Static<typeof RoleBinding>;

/** ClusterRoleBinding grants a ClusterRole to subjects cluster-wide. */
export const ClusterRoleBinding = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  subjects: opt(arr(Subject)),
  roleRef: RoleRef,
});
export type ClusterRoleBinding = Static<typeof ClusterRoleBinding>;
