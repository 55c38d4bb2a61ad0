import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerV1 } from './hpa.ts';

/** hpaV1ToV2 converts autoscaling/v1 to v2: the CPU target becomes a Resource metric. */
export function hpaV1ToV2(hpa: HorizontalPodAutoscalerV1): HorizontalPodAutoscaler {
  const { spec, status, ...rest } = structuredClone(hpa);
  const out: HorizontalPodAutoscaler = {
    ...rest,
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
  };
  if (spec !== undefined) {
    const { targetCPUUtilizationPercentage: cpu, ...common } = spec;
    out.spec = { ...common };
    if (cpu !== undefined)
      out.spec.metrics = [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpu } },
        },
      ];
  }
  if (status !== undefined) {
    const { currentCPUUtilizationPercentage: cpu, ...common } = status;
    out.status = { ...common };
    if (cpu !== undefined)
      out.status.currentMetrics = [
        { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: cpu } } },
      ];
  }
  return out;
}

/** hpaV2ToV1 converts autoscaling/v2 to v1, keeping only a CPU utilisation target. */
export function hpaV2ToV1(hpa: HorizontalPodAutoscaler): HorizontalPodAutoscalerV1 {
  const { spec, status, ...rest } = structuredClone(hpa);
  const out: HorizontalPodAutoscalerV1 = {
    ...rest,
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
  };
  if (spec !== undefined) {
    const cpu = spec.metrics?.find(
      (m) =>
        m.type === 'Resource' &&
        m.resource?.name === 'cpu' &&
        m.resource.target.type === 'Utilization',
    )?.resource?.target.averageUtilization;
    out.spec = {
      scaleTargetRef: spec.scaleTargetRef,
      maxReplicas: spec.maxReplicas,
      ...(spec.minReplicas === undefined ? {} : { minReplicas: spec.minReplicas }),
      ...(cpu === undefined ? {} : { targetCPUUtilizationPercentage: cpu }),
    };
  }
  if (status !== undefined) {
    const cpu = status.currentMetrics?.find(
      (m) => m.type === 'Resource' && m.resource?.name === 'cpu',
    )?.resource?.current.averageUtilization;
    out.status = {
      currentReplicas: status.currentReplicas ?? 0,
      desiredReplicas: status.desiredReplicas,
      ...(status.observedGeneration === undefined
        ? {}
        : { observedGeneration: status.observedGeneration }),
      ...(status.lastScaleTime === undefined ? {} : { lastScaleTime: status.lastScaleTime }),
      ...(cpu === undefined ? {} : { currentCPUUtilizationPercentage: cpu }),
    };
  }
  return out;
}
