import type { Static } from '@sinclair/typebox';
import { ObjectMeta, TypeMeta } from '../meta.ts';
import { arr, bool, obj, opt, str, strMap, Time } from '../schema-kit.ts';
import { ObjectReference } from './service.ts';

/** Namespace scopes names of namespaced objects. */
export const Namespace = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(obj({ finalizers: opt(arr(str())) })),
  status: opt(
    obj({
      phase: opt(str()),
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
export type Namespace = Static<typeof Namespace>;

/** ConfigMap holds configuration as string and binary (base64) entries. */
export const ConfigMap = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  immutable: opt(bool()),
  data: opt(strMap(str())),
  binaryData: opt(strMap(str())),
});
export type ConfigMap = Static<typeof ConfigMap>;

/** Secret holds sensitive entries; `data` is base64, `stringData` is write-only plain text. */
export const Secret = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  immutable: opt(bool()),
  data: opt(strMap(str())),
  stringData: opt(strMap(str())),
  type: opt(str()),
});
export type Secret = Static<typeof Secret>;

/** ServiceAccount is an identity for processes in pods. */
export const ServiceAccount = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  secrets: opt(arr(ObjectReference)),
  imagePullSecrets: opt(arr(obj({ name: opt(str()) }))),
  automountServiceAccountToken: opt(bool()),
});
export type ServiceAccount = Static<typeof ServiceAccount>;
