import type { Static } from '@sinclair/typebox';
import { ObjectMeta, TypeMeta } from '../meta.ts';
import { arr, bool, obj, opt, str, strMap } from '../schema-kit.ts';

/** StorageClass (storage.k8s.io/v1) describes a kind of dynamically provisioned storage. */
export const StorageClass = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  provisioner: str(),
  parameters: opt(strMap(str())),
  reclaimPolicy: opt(str()),
  mountOptions: opt(arr(str())),
  allowVolumeExpansion: opt(bool()),
  volumeBindingMode: opt(str()),
  allowedTopologies: opt(
    arr(
      obj({
        matchLabelExpressions: opt(arr(obj({ key: str(), values: arr(str()) }))),
      }),
    ),
  ),
});
export type StorageClass = Static<typeof StorageClass>;
