import { describe, expect, it } from 'vitest';
import type { Service } from '../../sdk/api/core/service.ts';
import type { EndpointSlice } from '../../sdk/api/networking/endpoint-slice.ts';
import { serviceRoutes } from './service-routes.ts';

const svc = (name: string, spec: Service['spec'], status?: Service['status']): Service => ({
  metadata: { name, namespace: 'default' },
  spec,
  ...(status ? { status } : {}),
});

const slice = (
  service: string,
  ports: EndpointSlice['ports'],
  endpoints: EndpointSlice['endpoints'],
  addressType = 'IPv4',
): EndpointSlice => ({
  metadata: {
    name: `${service}-x`,
    namespace: 'default',
    labels: { 'kubernetes.io/service-name': service },
  },
  addressType,
  ports,
  endpoints,
});

describe('serviceRoutes', () => {
  it('takes each ready endpoint with the port its slice names for the service port', () => {
    const routes = serviceRoutes(
      [
        svc('web', {
          type: 'NodePort',
          clusterIP: '10.43.0.9',
          ports: [{ name: 'http', port: 80, targetPort: 'web', nodePort: 30001 }],
        }),
      ],
      [
        slice(
          'web',
          [{ name: 'http', port: 8080, protocol: 'TCP' }],
          [
            { addresses: ['10.0.0.1'], conditions: { ready: true } },
            { addresses: ['10.0.0.2'], conditions: { ready: false } },
            { addresses: ['10.0.0.3'] },
          ],
        ),
        slice(
          'web',
          [{ name: 'http', port: 9090, protocol: 'TCP' }],
          [{ addresses: ['10.0.0.4'], conditions: { ready: true } }],
        ),
        slice('web', [{ name: 'http', port: 80 }], [{ addresses: ['fd00::1'] }], 'IPv6'),
      ],
    );
    expect(routes).toEqual([
      {
        namespace: 'default',
        name: 'web',
        type: 'NodePort',
        clusterIPs: ['10.43.0.9'],
        ports: [
          {
            name: 'http',
            protocol: 'TCP',
            port: 80,
            nodePort: 30001,
            endpoints: [
              { ip: '10.0.0.1', port: 8080 },
              { ip: '10.0.0.3', port: 8080 },
              { ip: '10.0.0.4', port: 9090 },
            ],
          },
        ],
      },
    ]);
  });

  it.each([
    ['ExternalName', svc('x', { type: 'ExternalName', externalName: 'example.com' })],
    ['headless', svc('x', { clusterIP: 'None', ports: [{ port: 80 }] })],
  ])('leaves out %s services', (_what, service) => {
    expect(serviceRoutes([service], [])).toEqual([]);
  });

  it.each([
    [{ sessionAffinity: 'ClientIP' }, 10_800],
    [
      { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } },
      60,
    ],
    [{ sessionAffinity: 'None' }, undefined],
  ] as [Partial<NonNullable<Service['spec']>>, number | undefined][])(
    'affinity %j gives %s seconds',
    (extra, want) => {
      const [route] = serviceRoutes([svc('a', { clusterIP: '10.43.0.2', ...extra })], []);
      expect(route?.affinitySeconds).toBe(want);
    },
  );

  it('forwards load-balancer ingress addresses only for LoadBalancer services, node ports too', () => {
    const ingress = {
      loadBalancer: { ingress: [{ ip: '127.0.1.4' }, { hostname: 'lb.example' }] },
    };
    const spec = { clusterIP: '10.43.0.3', ports: [{ port: 80, nodePort: 30002 }] };
    const [lb] = serviceRoutes([svc('lb', { ...spec, type: 'LoadBalancer' }, ingress)], []);
    const [plain] = serviceRoutes([svc('lb', { ...spec, type: 'ClusterIP' }, ingress)], []);
    expect(lb?.loadBalancerIPs).toEqual(['127.0.1.4']);
    expect(lb?.ports[0]?.nodePort).toBe(30002);
    expect(plain?.loadBalancerIPs).toBeUndefined();
    expect(plain?.ports[0]?.nodePort).toBeUndefined();
  });
});
