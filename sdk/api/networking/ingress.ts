import type { Static } from '@sinclair/typebox';
import { LoadBalancerIngress } from '../core/service.ts';
import { ObjectMeta, TypeMeta } from '../meta.ts';
import { arr, IntOrString, int, obj, opt, str } from '../schema-kit.ts';

const TypedLocalObjectReference = obj({ apiGroup: opt(str()), kind: str(), name: str() });

/** IngressBackend (networking.k8s.io/v1) is a service port or another resource. */
export const IngressBackend = obj({
  service: opt(obj({ name: str(), port: opt(obj({ name: opt(str()), number: opt(int()) })) })),
  resource: opt(TypedLocalObjectReference),
});
export type IngressBackend = Static<typeof IngressBackend>;

const IngressTLS = obj({ hosts: opt(arr(str())), secretName: opt(str()) });
const IngressStatus = obj({ loadBalancer: opt(obj({ ingress: opt(arr(LoadBalancerIngress)) })) });

/** Ingress (networking.k8s.io/v1) routes HTTP by host and path to services. */
export const Ingress = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(
    obj({
      ingressClassName: opt(str()),
      defaultBackend: opt(IngressBackend),
      tls: opt(arr(IngressTLS)),
      rules: opt(
        arr(
          obj({
            host: opt(str()),
            http: opt(
              obj({
                paths: arr(
                  obj({ path: opt(str()), pathType: opt(str()), backend: IngressBackend }),
                ),
              }),
            ),
          }),
        ),
      ),
    }),
  ),
  status: opt(IngressStatus),
});
export type Ingress = Static<typeof Ingress>;

/** IngressBackendV1beta1 is the older backend shape: serviceName and servicePort. */
export const IngressBackendV1beta1 = obj({
  serviceName: opt(str()),
  servicePort: opt(IntOrString),
  resource: opt(TypedLocalObjectReference),
});
export type IngressBackendV1beta1 = Static<typeof IngressBackendV1beta1>;

/** IngressV1beta1 is the deprecated extensions/v1beta1 (and networking.k8s.io/v1beta1) shape. */
export const IngressV1beta1 = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(
    obj({
      ingressClassName: opt(str()),
      backend: opt(IngressBackendV1beta1),
      tls: opt(arr(IngressTLS)),
      rules: opt(
        arr(
          obj({
            host: opt(str()),
            http: opt(
              obj({
                paths: arr(
                  obj({ path: opt(str()), pathType: opt(str()), backend: IngressBackendV1beta1 }),
                ),
              }),
            ),
          }),
        ),
      ),
    }),
  ),
  status: opt(IngressStatus),
});
export type IngressV1beta1 = Static<typeof IngressV1beta1>;

/** IngressClass names the controller that implements a class of ingresses. */
export const IngressClass = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(
    obj({
      controller: opt(str()),
      parameters: opt(
        obj({
          apiGroup: opt(str()),
          kind: str(),
          name: str(),
          scope: opt(str()),
          namespace: opt(str()),
        }),
      ),
    }),
  ),
});
export type IngressClass = Static<typeof IngressClass>;
