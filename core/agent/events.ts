import type { Pod } from '../../sdk/api/core/pod.ts';
import type { KubeObject } from '../../sdk/api/meta.ts';
import type { KubeClient } from '../../sdk/client/client.ts';
import { isSkiffError } from '../../sdk/errors.ts';
import { rfc3339 } from './status.ts';

const eventsIn = (namespace: string) => ({ group: '', version: 'v1', plural: 'events', namespace });

interface Seen {
  name: string;
  count: number;
  write: Promise<void>;
}

/** EventType is Normal or Warning, as Kubernetes events are. */
export type EventType = 'Normal' | 'Warning';

/** containerFieldPath is the involvedObject.fieldPath of a pod's (init) container. */
export function containerFieldPath(name: string, init = false): string {
  return `spec.${init ? 'initContainers' : 'containers'}{${name}}`;
}

/**
 * EventRecorder writes the agent's core/v1 Events. A repeat of the same event (same object,
 * field, type, reason and message) updates the first one's count and lastTimestamp instead of
 * adding another, as Kubernetes' event correlator does. Writes never block the caller and a
 * failed write is reported, not thrown.
 */
export class EventRecorder {
  readonly #client: KubeClient;
  readonly #node: string;
  readonly #seen = new Map<string, Seen>();
  readonly #onError: (message: string) => void;

  constructor(client: KubeClient, node: string, onError: (message: string) => void) {
    this.#client = client;
    this.#node = node;
    this.#onError = onError;
  }

  /** record writes (or counts again) an event about the pod, optionally one of its containers. */
  record(pod: Pod, type: EventType, reason: string, message: string, fieldPath?: string): void {
    const { name = '', namespace = 'default', uid = '' } = pod.metadata ?? {};
    const key = [uid, fieldPath ?? '', type, reason, message].join('\u0000');
    const now = rfc3339(Date.now());
    const seen = this.#seen.get(key);
    if (seen) {
      seen.count++;
      const count = seen.count;
      seen.write = seen.write.then(() =>
        this.#client
          .patch(eventsIn(namespace), seen.name, 'merge', { count, lastTimestamp: now })
          .then(() => undefined)
          .catch((err) => {
            if (isSkiffError(err, 'NotFound'))
              return this.#create(
                namespace,
                seen.name,
                pod,
                type,
                reason,
                message,
                fieldPath,
                now,
                count,
              );
            this.#onError(`event ${reason} for pod ${namespace}/${name}: ${String(err)}`);
          }),
      );
      return;
    }
    if (this.#seen.size > 4096) this.#seen.delete(this.#seen.keys().next().value as string);
    const eventName = `${name}.${(BigInt(Date.now()) * 1_000_000n + BigInt(this.#seen.size)).toString(16)}`;
    const entry: Seen = { name: eventName, count: 1, write: Promise.resolve() };
    entry.write = this.#create(namespace, eventName, pod, type, reason, message, fieldPath, now, 1);
    this.#seen.set(key, entry);
  }

  /** flush waits for the writes under way. */
  async flush(): Promise<void> {
    await Promise.all([...this.#seen.values()].map((s) => s.write));
  }

  async #create(
    namespace: string,
    eventName: string,
    pod: Pod,
    type: EventType,
    reason: string,
    message: string,
    fieldPath: string | undefined,
    now: string,
    count: number,
  ): Promise<void> {
    const { name = '', uid = '', resourceVersion } = pod.metadata ?? {};
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: eventName, namespace },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Pod',
        namespace,
        name,
        uid,
        ...(resourceVersion ? { resourceVersion } : {}),
        ...(fieldPath ? { fieldPath } : {}),
      },
      reason,
      message,
      type,
      source: { component: 'kubelet', host: this.#node },
      firstTimestamp: now,
      lastTimestamp: now,
      count,
      reportingComponent: 'kubelet',
      reportingInstance: this.#node,
    };
    try {
      await this.#client.create(eventsIn(namespace), event as KubeObject);
    } catch (err) {
      this.#onError(`event ${reason} for pod ${namespace}/${name}: ${String(err)}`);
    }
  }
}
