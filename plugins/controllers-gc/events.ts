// Warning events on the objects the collector or the namespace controller could not handle.
import { isSkiffError, type KubeClient, type Logger } from '../../sdk/index.ts';
import type { ObjectIdentity } from './graph.ts';

const stamp = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** EventRecorder writes core/v1 Warning events, once per object, reason and message. */
export class EventRecorder {
  readonly #client: Pick<KubeClient, 'create'>;
  readonly #component: string;
  readonly #logger: Logger;
  // A failure that repeats on every retry is reported once, not once per retry.
  readonly #sent = new Set<string>();

  constructor(client: Pick<KubeClient, 'create'>, component: string, logger: Logger) {
    this.#client = client;
    this.#component = component;
    this.#logger = logger;
  }

  /** warn records a Warning event about an object; failing to record it is only logged. */
  async warn(about: ObjectIdentity, reason: string, message: string): Promise<void> {
    const once = `${about.uid}\n${reason}\n${message}`;
    if (this.#sent.has(once)) return;
    this.#sent.add(once);
    if (this.#sent.size > 10_000) this.#sent.clear();
    // Events about cluster-scoped objects live in default, as Kubernetes files them.
    const namespace = about.namespace === '' ? 'default' : about.namespace;
    const now = stamp();
    try {
      await this.#client.create({ group: '', version: 'v1', plural: 'events', namespace }, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: {
          name: `${about.name}.${Date.now().toString(16)}${Math.floor(Math.random() * 4096).toString(16)}`,
          namespace,
        },
        involvedObject: {
          apiVersion: about.apiVersion,
          kind: about.kind,
          name: about.name,
          uid: about.uid,
          ...(about.namespace === '' ? {} : { namespace: about.namespace }),
        },
        type: 'Warning',
        reason,
        message,
        source: { component: this.#component },
        reportingComponent: this.#component,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      } as { apiVersion: string; kind: string });
    } catch (err) {
      if (!isSkiffError(err)) throw err;
      this.#logger.warn('could not record an event', { reason, error: err.message });
    }
  }
}
