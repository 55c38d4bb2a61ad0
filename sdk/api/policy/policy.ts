import type { Static } from '@sinclair/typebox';
import { PodTemplateSpec } from '../core/pod.ts';
import { Condition, LabelSelector, ObjectMeta, TypeMeta } from '../meta.ts';
import {
  arr,
  bool,
  IntOrString,
  int,
  obj,
  opt,
  Quantity,
  str,
  strMap,
  Time,
} from '../schema-kit.ts';

/** PodDisruptionBudget (policy/v1) bounds voluntary disruptions of matching pods. */
export const PodDisruptionBudget = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(
    obj({
      minAvailable: opt(IntOrString),
      selector: opt(LabelSelector),
      maxUnavailable: opt(IntOrString),
      unhealthyPodEvictionPolicy: opt(str()),
    }),
  ),
  status: opt(
    obj({
      observedGeneration: opt(int()),
      disruptedPods: opt(strMap(Time)),
      disruptionsAllowed: int(),
      currentHealthy: int(),
      desiredHealthy: int(),
      expectedPods: int(),
      conditions: opt(arr(Condition)),
    }),
  ),
});
export type PodDisruptionBudget = Static<typeof PodDisruptionBudget>;

/** PriorityClass (scheduling.k8s.io/v1) maps a class name to a pod priority. */
export const PriorityClass = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  value: int(),
  globalDefault: opt(bool()),
  description: opt(str()),
  preemptionPolicy: opt(str()),
});
export type PriorityClass = Static<typeof PriorityClass>;

const ResourceList = strMap(Quantity);

/** ResourceQuota (v1) caps the total resources a namespace may use. */
export const ResourceQuota = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(
    obj({
      hard: opt(ResourceList),
      scopes: opt(arr(str())),
      scopeSelector: opt(
        obj({
          matchExpressions: opt(
            arr(obj({ scopeName: str(), operator: str(), values: opt(arr(str())) })),
          ),
        }),
      ),
    }),
  ),
  status: opt(obj({ hard: opt(ResourceList), used: opt(ResourceList) })),
});
export type ResourceQuota = Static<typeof ResourceQuota>;

/** LimitRange (v1) sets per-pod and per-container bounds and defaults in a namespace. */
export const LimitRange = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(
    obj({
      limits: arr(
        obj({
          type: str(),
          max: opt(ResourceList),
          min: opt(ResourceList),
          default: opt(ResourceList),
          defaultRequest: opt(ResourceList),
          maxLimitRequestRatio: opt(ResourceList),
        }),
      ),
    }),
  ),
});
export type LimitRange = Static<typeof LimitRange>;

/** PodTemplate (v1) stores a pod template by name. */
export const PodTemplate = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  template: opt(PodTemplateSpec),
});
export type PodTemplate = Static<typeof PodTemplate>;
