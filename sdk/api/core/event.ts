import type { Static } from '@sinclair/typebox';
import { ObjectMeta, TypeMeta } from '../meta.ts';
import { int, obj, opt, str, Time } from '../schema-kit.ts';
import { ObjectReference } from './service.ts';

/** Event reports something that happened to an object (core/v1 shape). */
export const Event = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  involvedObject: ObjectReference,
  reason: opt(str()),
  message: opt(str()),
  source: opt(obj({ component: opt(str()), host: opt(str()) })),
  firstTimestamp: opt(Time),
  lastTimestamp: opt(Time),
  count: opt(int()),
  type: opt(str()),
  eventTime: opt(str()),
  series: opt(obj({ count: opt(int()), lastObservedTime: opt(str()) })),
  action: opt(str()),
  related: opt(ObjectReference),
  reportingComponent: opt(str()),
  reportingInstance: opt(str()),
});
export type Event = Static<typeof Event>;
