// The reconciler of the example controller, apart from its wiring so it reads on its own.
import {
  type api,
  done,
  type KubeClient,
  type ObjectCache,
  type ObjectKey,
  type ReconcileResult,
  type ResourceRef,
  requeueAfter,
  terminal,
} from '../../../sdk/index.ts';

/** stampAnnotation holds the sorted, comma-separated keys of a ConfigMap's data. */
export const stampAnnotation = 'example.skiff.dev/data-keys';

/** StampSources are what the reconciler reads and writes through. */
export interface StampSources {
  readonly client: Pick<KubeClient, 'patch'>;
  readonly cache: ObjectCache<api.ConfigMap>;
  readonly synced: () => boolean;
  readonly configMaps: (namespace: string) => ResourceRef;
  /** label is the label whose value `skip` marks an object the controller refuses. */
  readonly label: string;
}

/** stampKeys is what the annotation should say for a ConfigMap. */
export function stampKeys(cm: api.ConfigMap): string {
  return Object.keys({ ...cm.data, ...cm.binaryData })
    .sort()
    .join(',');
}

/**
 * reconcileStamp brings one ConfigMap's annotation in line with its data. It reads the
 * informer's cache (level-based: only the current state matters, not which event came) and
 * writes only when the annotation differs, so a repeat is harmless.
 */
export async function reconcileStamp(src: StampSources, key: ObjectKey): Promise<ReconcileResult> {
  if (!src.synced()) return requeueAfter(200);
  const cm = src.cache.get(`${key.namespace}/${key.name}`);
  if (!cm) return done;
  if (cm.metadata?.labels?.[src.label] === 'skip')
    return terminal(`ConfigMap ${key.namespace}/${key.name} asks to be skipped`);
  const want = stampKeys(cm);
  if (cm.metadata?.annotations?.[stampAnnotation] === want) return done;
  await src.client.patch(src.configMaps(key.namespace), key.name, 'merge', {
    metadata: { annotations: { [stampAnnotation]: want } },
  });
  return done;
}
