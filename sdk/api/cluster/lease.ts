import type { Static } from '@sinclair/typebox';
import { ObjectMeta, TypeMeta } from '../meta.ts';
import { int, obj, opt, str } from '../schema-kit.ts';

/** Lease (coordination.k8s.io/v1) is a lock with a holder and a renew time (node heartbeats). */
export const Lease = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(
    obj({
      holderIdentity: opt(str()),
      leaseDurationSeconds: opt(int()),
      acquireTime: opt(str()),
      renewTime: opt(str()),
      leaseTransitions: opt(int()),
      strategy: opt(str()),
      preferredHolder: opt(str()),
    }),
  ),
});
export type Lease = Static<typeof Lease>;
