import type { Static } from '@sinclair/typebox';
import { ObjectMeta, TypeMeta } from '../meta.ts';
import { arr, int, obj, opt, str, strMap, Time } from '../schema-kit.ts';
import { PodTemplateSpec } from './pod.ts';

/** ReplicationController keeps a number of pods matching an equality selector running. */
export const ReplicationController = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(
    obj({
      replicas: opt(int()),
      minReadySeconds: opt(int()),
      selector: opt(strMap(str())),
      template: opt(PodTemplateSpec),
    }),
  ),
  status: opt(
    obj({
      replicas: int(),
      fullyLabeledReplicas: opt(int()),
      readyReplicas: opt(int()),
      availableReplicas: opt(int()),
      observedGeneration: opt(int()),
      conditions: opt(
        arr(
          obj({
            type: str(),
            status: str(),
            lastTransitionTime: opt(Time),
            reason: opt(str()),
            message: opt(str()),
          }),
        ),
      ),
    }),
  ),
});
export type ReplicationController = Static<typeof ReplicationController>;
