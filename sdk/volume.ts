import { defineExtensionKind } from './plugin.ts';

/**
 * The volume type contract: the node agent asks a volume type to make a pod's volume present
 * on the node before the pod's containers start and to remove it after the pod is gone. Both
 * calls are idempotent: setting up what is there, or tearing down what is gone, succeeds.
 */

/** VolumeCapabilities says what a volume type supports, so callers check instead of catching. */
export interface VolumeCapabilities {
  /** persistent volumes outlive the pod; emptyDir-like ones do not. */
  readonly persistent: boolean;
  readonly readOnlyMount: boolean;
  /** sizeLimit tells whether the type enforces a size limit. */
  readonly sizeLimit: boolean;
}

/** VolumeRequest is one volume of one pod, as the agent hands it over. */
export interface VolumeRequest {
  readonly podUid: string;
  readonly podNamespace: string;
  readonly volumeName: string;
  /** source is the volume's entry in the pod spec (for example `{ emptyDir: {} }`). */
  readonly source: Readonly<Record<string, unknown>>;
  /** dir is a directory the agent reserved for this volume under its data dir. */
  readonly dir: string;
}

/** MountedVolume says where the volume is on the host, for the runtime to bind-mount. */
export interface MountedVolume {
  readonly hostPath: string;
  readonly readOnly: boolean;
}

/** VolumeType is what a volume plugin provides: one source field of the pod spec it handles. */
export interface VolumeType {
  /** sourceField is the pod spec volume field it handles (`emptyDir`, `hostPath`, `configMap`). */
  readonly sourceField: string;
  readonly capabilities: VolumeCapabilities;
  setUp(req: VolumeRequest): Promise<MountedVolume>;
  tearDown(req: VolumeRequest): Promise<void>;
}

/** volumeTypeExtension is the extension kind `volume-type/<name>`. */
export const volumeTypeExtension = defineExtensionKind<VolumeType>('volume-type');
