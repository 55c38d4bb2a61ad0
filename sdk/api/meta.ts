import type { Static } from '@sinclair/typebox';
import { arr, bool, FreeForm, int, obj, opt, str, strMap, Time } from './schema-kit.ts';

/** OwnerReference names an object that owns this one, for garbage collection. */
export const OwnerReference = obj({
  apiVersion: str(),
  kind: str(),
  name: str(),
  uid: str(),
  controller: opt(bool()),
  blockOwnerDeletion: opt(bool()),
});
export type OwnerReference = Static<typeof OwnerReference>;

/** ObjectMeta is the metadata every persisted object carries. */
export const ObjectMeta = obj({
  name: opt(str()),
  generateName: opt(str()),
  namespace: opt(str()),
  selfLink: opt(str()),
  uid: opt(str()),
  resourceVersion: opt(str()),
  generation: opt(int()),
  creationTimestamp: opt(Time),
  deletionTimestamp: opt(Time),
  deletionGracePeriodSeconds: opt(int()),
  labels: opt(strMap(str())),
  annotations: opt(strMap(str())),
  ownerReferences: opt(arr(OwnerReference)),
  finalizers: opt(arr(str())),
  managedFields: opt(arr(FreeForm)),
});
export type ObjectMeta = Static<typeof ObjectMeta>;

/** TypeMeta holds the apiVersion and kind of a serialized object. */
export const TypeMeta = {
  apiVersion: opt(str()),
  kind: opt(str()),
};
export interface TypeMeta {
  apiVersion?: string;
  kind?: string;
}

/** ListMeta is the metadata of a list response. */
export const ListMeta = obj({
  selfLink: opt(str()),
  resourceVersion: opt(str()),
  continue: opt(str()),
  remainingItemCount: opt(int()),
});
export type ListMeta = Static<typeof ListMeta>;

/** StatusCause is one reason a request failed, usually one bad field. */
export const StatusCause = obj({
  reason: opt(str()),
  message: opt(str()),
  field: opt(str()),
});
export type StatusCause = Static<typeof StatusCause>;

/** StatusDetails names the object a failed request concerned. */
export const StatusDetails = obj({
  name: opt(str()),
  group: opt(str()),
  kind: opt(str()),
  uid: opt(str()),
  causes: opt(arr(StatusCause)),
  retryAfterSeconds: opt(int()),
});
export type StatusDetails = Static<typeof StatusDetails>;

/** Status is the body of every API error and of some successful deletes. */
export const Status = obj({
  ...TypeMeta,
  metadata: opt(ListMeta),
  status: opt(str()),
  message: opt(str()),
  reason: opt(str()),
  details: opt(StatusDetails),
  code: opt(int()),
});
export type Status = Static<typeof Status>;

/** LabelSelectorRequirement is one set-based requirement of a LabelSelector. */
export const LabelSelectorRequirement = obj({
  key: str(),
  operator: str(),
  values: opt(arr(str())),
});
export type LabelSelectorRequirement = Static<typeof LabelSelectorRequirement>;

/** LabelSelector is the structured selector form used in specs (matchLabels/matchExpressions). */
export const LabelSelector = obj({
  matchLabels: opt(strMap(str())),
  matchExpressions: opt(arr(LabelSelectorRequirement)),
});
export type LabelSelector = Static<typeof LabelSelector>;

/** Condition is the generic status condition (metav1.Condition). */
export const Condition = obj({
  type: str(),
  status: str(),
  observedGeneration: opt(int()),
  lastTransitionTime: opt(Time),
  reason: opt(str()),
  message: opt(str()),
});
export type Condition = Static<typeof Condition>;

/** KubeObject is the loose shape every API object has before its kind is known. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}
