import type { Static } from '@sinclair/typebox';
import { LabelSelector, ObjectMeta, TypeMeta } from '../meta.ts';
import { arr, int, obj, opt, Quantity, str, Time } from '../schema-kit.ts';

/** CrossVersionObjectReference names the workload an autoscaler scales. */
export const CrossVersionObjectReference = obj({
  kind: str(),
  name: str(),
  apiVersion: opt(str()),
});

const MetricTarget = obj({
  type: str(),
  value: opt(Quantity),
  averageValue: opt(Quantity),
  averageUtilization: opt(int()),
});
const MetricValueStatus = obj({
  value: opt(Quantity),
  averageValue: opt(Quantity),
  averageUtilization: opt(int()),
});
const MetricIdentifier = obj({ name: str(), selector: opt(LabelSelector) });

/** MetricSpec is one metric an autoscaler (v2) follows. */
export const MetricSpec = obj({
  type: str(),
  object: opt(
    obj({
      describedObject: CrossVersionObjectReference,
      target: MetricTarget,
      metric: MetricIdentifier,
    }),
  ),
  pods: opt(obj({ metric: MetricIdentifier, target: MetricTarget })),
  resource: opt(obj({ name: str(), target: MetricTarget })),
  containerResource: opt(obj({ name: str(), target: MetricTarget, container: str() })),
  external: opt(obj({ metric: MetricIdentifier, target: MetricTarget })),
});
export type MetricSpec = Static<typeof MetricSpec>;

const MetricStatus = obj({
  type: str(),
  object: opt(
    obj({
      metric: MetricIdentifier,
      current: MetricValueStatus,
      describedObject: CrossVersionObjectReference,
    }),
  ),
  pods: opt(obj({ metric: MetricIdentifier, current: MetricValueStatus })),
  resource: opt(obj({ name: str(), current: MetricValueStatus })),
  containerResource: opt(obj({ name: str(), current: MetricValueStatus, container: str() })),
  external: opt(obj({ metric: MetricIdentifier, current: MetricValueStatus })),
});

const ScalingRules = obj({
  stabilizationWindowSeconds: opt(int()),
  selectPolicy: opt(str()),
  policies: opt(arr(obj({ type: str(), value: int(), periodSeconds: int() }))),
  tolerance: opt(Quantity),
});

const HpaCondition = obj({
  type: str(),
  status: str(),
  lastTransitionTime: opt(Time),
  reason: opt(str()),
  message: opt(str()),
});

/** HorizontalPodAutoscaler (autoscaling/v2) scales a workload by metrics. */
export const HorizontalPodAutoscaler = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(
    obj({
      scaleTargetRef: CrossVersionObjectReference,
      minReplicas: opt(int()),
      maxReplicas: int(),
      metrics: opt(arr(MetricSpec)),
      behavior: opt(obj({ scaleUp: opt(ScalingRules), scaleDown: opt(ScalingRules) })),
    }),
  ),
  status: opt(
    obj({
      observedGeneration: opt(int()),
      lastScaleTime: opt(Time),
      currentReplicas: opt(int()),
      desiredReplicas: int(),
      currentMetrics: opt(arr(MetricStatus)),
      conditions: opt(arr(HpaCondition)),
    }),
  ),
});
export type HorizontalPodAutoscaler = Static<typeof HorizontalPodAutoscaler>;

/** HorizontalPodAutoscalerV1 is the autoscaling/v1 shape: CPU utilisation only. */
export const HorizontalPodAutoscalerV1 = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(
    obj({
      scaleTargetRef: CrossVersionObjectReference,
      minReplicas: opt(int()),
      maxReplicas: int(),
      targetCPUUtilizationPercentage: opt(int()),
    }),
  ),
  status: opt(
    obj({
      observedGeneration: opt(int()),
      lastScaleTime: opt(Time),
      currentReplicas: int(),
      desiredReplicas: int(),
      currentCPUUtilizationPercentage: opt(int()),
    }),
  ),
});
export type HorizontalPodAutoscalerV1 = Static<typeof HorizontalPodAutoscalerV1>;
