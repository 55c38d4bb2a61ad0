import type { Static } from '@sinclair/typebox';
import { LabelSelector, ObjectMeta } from '../meta.ts';
import { arr, bool, FreeForm, int, obj, opt, Quantity, str, strMap } from '../schema-kit.ts';

const KeyToPath = obj({ key: str(), path: str(), mode: opt(int()) });
const LocalRef = obj({ name: opt(str()) });

/** ObjectFieldSelector selects a field of the pod (downward API). */
export const ObjectFieldSelector = obj({ apiVersion: opt(str()), fieldPath: str() });
const ResourceFieldSelector = obj({
  containerName: opt(str()),
  resource: str(),
  divisor: opt(Quantity),
});
const DownwardAPIVolumeFile = obj({
  path: str(),
  fieldRef: opt(ObjectFieldSelector),
  resourceFieldRef: opt(ResourceFieldSelector),
  mode: opt(int()),
});

const ConfigMapProjection = obj({
  name: opt(str()),
  items: opt(arr(KeyToPath)),
  optional: opt(bool()),
});

/** PersistentVolumeClaimSpec is what a claim asks for; shared with ephemeral volumes. */
export const PersistentVolumeClaimSpec = obj({
  accessModes: opt(arr(str())),
  selector: opt(LabelSelector),
  resources: opt(obj({ limits: opt(strMap(Quantity)), requests: opt(strMap(Quantity)) })),
  volumeName: opt(str()),
  storageClassName: opt(str()),
  volumeMode: opt(str()),
  dataSource: opt(obj({ apiGroup: opt(str()), kind: str(), name: str() })),
  dataSourceRef: opt(
    obj({ apiGroup: opt(str()), kind: str(), name: str(), namespace: opt(str()) }),
  ),
  volumeAttributesClassName: opt(str()),
});
export type PersistentVolumeClaimSpec = Static<typeof PersistentVolumeClaimSpec>;

/** VolumeSource lists the volume types skiff knows; exactly one is set per volume. */
export const volumeSourceFields = {
  hostPath: opt(obj({ path: str(), type: opt(str()) })),
  emptyDir: opt(obj({ medium: opt(str()), sizeLimit: opt(Quantity) })),
  secret: opt(
    obj({
      secretName: opt(str()),
      items: opt(arr(KeyToPath)),
      defaultMode: opt(int()),
      optional: opt(bool()),
    }),
  ),
  configMap: opt(
    obj({
      name: opt(str()),
      items: opt(arr(KeyToPath)),
      defaultMode: opt(int()),
      optional: opt(bool()),
    }),
  ),
  persistentVolumeClaim: opt(obj({ claimName: str(), readOnly: opt(bool()) })),
  downwardAPI: opt(obj({ items: opt(arr(DownwardAPIVolumeFile)), defaultMode: opt(int()) })),
  projected: opt(
    obj({
      sources: opt(
        arr(
          obj({
            secret: opt(ConfigMapProjection),
            configMap: opt(ConfigMapProjection),
            downwardAPI: opt(obj({ items: opt(arr(DownwardAPIVolumeFile)) })),
            serviceAccountToken: opt(
              obj({ audience: opt(str()), expirationSeconds: opt(int()), path: str() }),
            ),
            clusterTrustBundle: opt(
              obj({
                name: opt(str()),
                signerName: opt(str()),
                labelSelector: opt(LabelSelector),
                optional: opt(bool()),
                path: str(),
              }),
            ),
          }),
        ),
      ),
      defaultMode: opt(int()),
    }),
  ),
  nfs: opt(obj({ server: str(), path: str(), readOnly: opt(bool()) })),
  csi: opt(
    obj({
      driver: str(),
      readOnly: opt(bool()),
      fsType: opt(str()),
      volumeAttributes: opt(strMap(str())),
      nodePublishSecretRef: opt(LocalRef),
    }),
  ),
  ephemeral: opt(
    obj({
      volumeClaimTemplate: opt(obj({ metadata: opt(ObjectMeta), spec: PersistentVolumeClaimSpec })),
    }),
  ),
  image: opt(obj({ reference: opt(str()), pullPolicy: opt(str()) })),
  iscsi: opt(
    obj({
      targetPortal: str(),
      iqn: str(),
      lun: int(),
      iscsiInterface: opt(str()),
      fsType: opt(str()),
      readOnly: opt(bool()),
      portals: opt(arr(str())),
      chapAuthDiscovery: opt(bool()),
      chapAuthSession: opt(bool()),
      secretRef: opt(LocalRef),
      initiatorName: opt(str()),
    }),
  ),
};

// In-tree cloud and network volume types that skiff does not mount; accepted so that older
// manifests decode, with their contents kept as written.
const legacy = () => opt(strMap(FreeForm));
/** legacySources are the in-tree volume types kept as written (pods and persistent volumes). */
export const legacySources = {
  gcePersistentDisk: legacy(),
  awsElasticBlockStore: legacy(),
  gitRepo: legacy(),
  glusterfs: legacy(),
  rbd: legacy(),
  flexVolume: legacy(),
  cinder: legacy(),
  cephfs: legacy(),
  flocker: legacy(),
  fc: legacy(),
  azureFile: legacy(),
  vsphereVolume: legacy(),
  quobyte: legacy(),
  azureDisk: legacy(),
  photonPersistentDisk: legacy(),
  portworxVolume: legacy(),
  scaleIO: legacy(),
  storageos: legacy(),
};

/** volumeSourceNames are the source fields of a Volume, in declaration order. */
export const volumeSourceNames = [
  ...Object.keys(volumeSourceFields),
  ...Object.keys(legacySources),
];

/** Volume is a named volume of a pod. */
export const Volume = obj({ name: str(), ...volumeSourceFields, ...legacySources });
export type Volume = Static<typeof Volume>;
