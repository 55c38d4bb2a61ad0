import type { Static } from '@sinclair/typebox';
import { ObjectReference } from '../core/service.ts';
import { ObjectMeta, TypeMeta } from '../meta.ts';
import { arr, bool, int, obj, opt, str, strMap } from '../schema-kit.ts';

/** EndpointSlice (discovery.k8s.io/v1) lists a subset of a service's endpoints. */
export const EndpointSlice = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  addressType: str(),
  endpoints: arr(
    obj({
      addresses: arr(str()),
      conditions: opt(obj({ ready: opt(bool()), serving: opt(bool()), terminating: opt(bool()) })),
      hostname: opt(str()),
      targetRef: opt(ObjectReference),
      deprecatedTopology: opt(strMap(str())),
      nodeName: opt(str()),
      zone: opt(str()),
      hints: opt(
        obj({
          forZones: opt(arr(obj({ name: str() }))),
          forNodes: opt(arr(obj({ name: str() }))),
        }),
      ),
    }),
  ),
  ports: opt(
    arr(
      obj({
        name: opt(str()),
        protocol: opt(str()),
        port: opt(int()),
        appProtocol: opt(str()),
      }),
    ),
  ),
});
export type EndpointSlice = Static<typeof EndpointSlice>;
