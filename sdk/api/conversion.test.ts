import { describe, expect, it } from 'vitest';
import type { HorizontalPodAutoscalerV1 } from './autoscaling/hpa.ts';
import { hpaV1ToV2, hpaV2ToV1 } from './autoscaling/hpa-conversion.ts';
import type { IngressV1beta1 } from './networking/ingress.ts';
import { ingressV1beta1ToV1, ingressV1ToV1beta1 } from './networking/ingress-conversion.ts';

describe('Ingress v1beta1 <-> v1', () => {
  const beta: IngressV1beta1 = {
    apiVersion: 'extensions/v1beta1',
    kind: 'Ingress',
    metadata: { name: 'i', annotations: { a: 'b' } },
    spec: {
      backend: { serviceName: 'default', servicePort: 'http' },
      tls: [{ hosts: ['a.example.com'], secretName: 'tls' }],
      rules: [
        {
          host: 'a.example.com',
          http: {
            paths: [
              { path: '/one', pathType: 'Prefix', backend: { serviceName: 's1', servicePort: 80 } },
              {
                path: '/two',
                backend: { resource: { apiGroup: 'x.io', kind: 'Bucket', name: 'b' } },
              },
            ],
          },
        },
      ],
    },
  };

  it('moves backend to defaultBackend and serviceName/servicePort into service', () => {
    const v1 = ingressV1beta1ToV1(beta);
    expect(v1.apiVersion).toBe('networking.k8s.io/v1');
    expect(v1.spec?.defaultBackend).toEqual({
      service: { name: 'default', port: { name: 'http' } },
    });
    expect(v1.spec?.rules?.[0]?.http?.paths[0]?.backend).toEqual({
      service: { name: 's1', port: { number: 80 } },
    });
    expect(v1.spec?.rules?.[0]?.http?.paths[1]?.backend).toEqual({
      resource: { apiGroup: 'x.io', kind: 'Bucket', name: 'b' },
    });
    expect(v1.spec?.tls).toEqual(beta.spec?.tls);
    expect(v1.metadata).toEqual(beta.metadata);
  });

  it('round-trips without loss and leaves its input alone', () => {
    const before = structuredClone(beta);
    expect(ingressV1ToV1beta1(ingressV1beta1ToV1(beta))).toEqual(beta);
    expect(beta).toEqual(before);
  });

  it('converts to networking.k8s.io/v1beta1 when asked', () => {
    expect(
      ingressV1ToV1beta1(ingressV1beta1ToV1(beta), 'networking.k8s.io/v1beta1').apiVersion,
    ).toBe('networking.k8s.io/v1beta1');
  });
});

describe('HorizontalPodAutoscaler v1 <-> v2', () => {
  const v1: HorizontalPodAutoscalerV1 = {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'h' },
    spec: {
      scaleTargetRef: { kind: 'Deployment', name: 'd' },
      minReplicas: 2,
      maxReplicas: 5,
      targetCPUUtilizationPercentage: 60,
    },
    status: { currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 75 },
  };

  it('turns the CPU target into a Resource metric', () => {
    const v2 = hpaV1ToV2(v1);
    expect(v2.apiVersion).toBe('autoscaling/v2');
    expect(v2.spec?.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } },
      },
    ]);
    expect(v2.status?.currentMetrics?.[0]?.resource?.current.averageUtilization).toBe(75);
  });

  it('round-trips', () => {
    expect(hpaV2ToV1(hpaV1ToV2(v1))).toEqual(v1);
  });
});
