// Events the controller records, as Kubernetes' node lifecycle controller words them.
import type { api, KubeClient, Logger } from '../../sdk/index.ts';

/** component is the event source, as in Kubernetes. */
export const component = 'node-controller';

/** Involved names the object an event is about. */
export interface Involved {
  readonly kind: 'Node' | 'Pod';
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
}

/**
 * recordEvent writes one core/v1 Event; a failure is logged and otherwise ignored, since an
 * event is a courtesy and must never hold a reconcile back.
 */
export async function recordEvent(
  client: Pick<KubeClient, 'create'>,
  involved: Involved,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  logger?: Logger,
): Promise<void> {
  // Node events live in default, as Kubernetes files events of cluster-scoped objects.
  const namespace = involved.namespace ?? 'default';
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const suffix = `${Date.now().toString(16)}${Math.floor(Math.random() * 65536).toString(16)}`;
  try {
    await client.create({ group: '', version: 'v1', plural: 'events', namespace }, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${involved.name}.${suffix}`, namespace },
      involvedObject: {
        apiVersion: 'v1',
        kind: involved.kind,
        name: involved.name,
        ...(involved.namespace === undefined ? {} : { namespace: involved.namespace }),
        ...(involved.uid === undefined ? {} : { uid: involved.uid }),
      },
      type,
      reason,
      message,
      source: { component },
      reportingComponent: component,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    } as api.KubeObject);
  } catch (err) {
    logger?.warn('could not record an event', {
      reason,
      object: `${involved.kind} ${involved.name}`,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}
