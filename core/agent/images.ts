import type { Container } from '../../sdk/api/core/container.ts';
import type { Pod } from '../../sdk/api/core/pod.ts';
import type { EventRecorder } from './events.ts';
import { containerFieldPath } from './events.ts';
import type { PodRuntime } from './observe.ts';
import { pullPolicy } from './runtime-objects.ts';

/** ImageOutcome is the image ready to run, or why there is none (a waiting reason and message). */
export type ImageOutcome =
  | { ok: true; image: string }
  | {
      ok: false;
      reason: 'ErrImagePull' | 'ErrImageNeverPull' | 'InvalidImageName';
      message: string;
    };

/**
 * ensureImage makes the container's image present per its imagePullPolicy, with the kubelet's
 * Pulling/Pulled/Failed events.
 */
export async function ensureImage(
  rt: PodRuntime,
  pod: Pod,
  container: Container,
  events: EventRecorder,
  init: boolean,
): Promise<ImageOutcome> {
  const image = container.image ?? '';
  const field = containerFieldPath(container.name, init);
  if (image === '') {
    return { ok: false, reason: 'InvalidImageName', message: 'the container has no image' };
  }
  const policy = pullPolicy(container);
  if (policy !== 'Always') {
    const present = await rt.client.imageStatus({ image: { image } });
    if (present.image) {
      events.record(
        pod,
        'Normal',
        'Pulled',
        `Container image "${image}" already present on machine`,
        field,
      );
      return { ok: true, image };
    }
    if (policy === 'Never') {
      const message = `Container image "${image}" is not present with pull policy of Never`;
      events.record(pod, 'Warning', 'ErrImageNeverPull', message, field);
      return { ok: false, reason: 'ErrImageNeverPull', message };
    }
  }
  events.record(pod, 'Normal', 'Pulling', `Pulling image "${image}"`, field);
  const started = Date.now();
  try {
    const pulled = await rt.client.pullImage({ image: { image } }, { timeoutMs: 600_000 });
    const seconds = ((Date.now() - started) / 1000).toFixed(3);
    const status = await rt.client.imageStatus({ image: { image: pulled.imageRef || image } });
    const size = status.image?.size ? ` Image size: ${status.image.size} bytes.` : '';
    events.record(
      pod,
      'Normal',
      'Pulled',
      `Successfully pulled image "${image}" in ${seconds}s.${size}`,
      field,
    );
    return { ok: true, image };
  } catch (err) {
    const message = `Failed to pull image "${image}": ${err instanceof Error ? err.message : String(err)}`;
    events.record(pod, 'Warning', 'Failed', message, field);
    events.record(pod, 'Warning', 'Failed', 'Error: ErrImagePull', field);
    return { ok: false, reason: 'ErrImagePull', message };
  }
}
