import type { Static } from '@sinclair/typebox';
import { ObjectMeta, TypeMeta } from '../meta.ts';
import { arr, bool, obj, opt, Quantity, str, strMap, Time } from '../schema-kit.ts';
import { NodeSelector } from './affinity.ts';
import { ObjectReference } from './service.ts';
import { legacySources, PersistentVolumeClaimSpec, volumeSourceFields } from './volume.ts';

const SecretReference = obj({ name: opt(str()), namespace: opt(str()) });

/** PersistentVolume is a piece of storage in the cluster. */
export const PersistentVolume = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(
    obj({
      capacity: opt(strMap(Quantity)),
      hostPath: volumeSourceFields.hostPath,
      nfs: volumeSourceFields.nfs,
      csi: opt(
        obj({
          driver: str(),
          volumeHandle: str(),
          readOnly: opt(bool()),
          fsType: opt(str()),
          volumeAttributes: opt(strMap(str())),
          controllerPublishSecretRef: opt(SecretReference),
          nodeStageSecretRef: opt(SecretReference),
          nodePublishSecretRef: opt(SecretReference),
          controllerExpandSecretRef: opt(SecretReference),
          nodeExpandSecretRef: opt(SecretReference),
        }),
      ),
      iscsi: opt(
        obj({
          ...volumeSourceFields.iscsi.properties,
          ...{ secretRef: opt(SecretReference) },
        }),
      ),
      ...legacySources,
      local: opt(obj({ path: str(), fsType: opt(str()) })),
      accessModes: opt(arr(str())),
      claimRef: opt(ObjectReference),
      persistentVolumeReclaimPolicy: opt(str()),
      storageClassName: opt(str()),
      mountOptions: opt(arr(str())),
      volumeMode: opt(str()),
      nodeAffinity: opt(obj({ required: opt(NodeSelector) })),
      volumeAttributesClassName: opt(str()),
    }),
  ),
  status: opt(
    obj({
      phase: opt(str()),
      message: opt(str()),
      reason: opt(str()),
      lastPhaseTransitionTime: opt(Time),
    }),
  ),
});
export type PersistentVolume = Static<typeof PersistentVolume>;

/** PersistentVolumeClaim is a request for storage. */
export const PersistentVolumeClaim = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(PersistentVolumeClaimSpec),
  status: opt(
    obj({
      phase: opt(str()),
      accessModes: opt(arr(str())),
      capacity: opt(strMap(Quantity)),
      conditions: opt(
        arr(
          obj({
            type: str(),
            status: str(),
            lastProbeTime: opt(Time),
            lastTransitionTime: opt(Time),
            reason: opt(str()),
            message: opt(str()),
          }),
        ),
      ),
      modifyVolumeStatus: opt(obj({ targetVolumeAttributesClassName: opt(str()), status: str() })),
      allocatedResources: opt(strMap(Quantity)),
      allocatedResourceStatuses: opt(strMap(str())),
      currentVolumeAttributesClassName: opt(str()),
    }),
  ),
});
export type PersistentVolumeClaim = Static<typeof PersistentVolumeClaim>;
