import type { Static } from '@sinclair/typebox';
import { Toleration } from '../core/affinity.ts';
import { ObjectMeta, TypeMeta } from '../meta.ts';
import { arr, obj, opt, Quantity, str, strMap } from '../schema-kit.ts';

/** RuntimeClass (node.k8s.io/v1) maps a class name to a runtime handler on the nodes. */
export const RuntimeClass = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  handler: str(),
  overhead: opt(obj({ podFixed: opt(strMap(Quantity)) })),
  scheduling: opt(obj({ nodeSelector: opt(strMap(str())), tolerations: opt(arr(Toleration)) })),
});
export type RuntimeClass = Static<typeof RuntimeClass>;
