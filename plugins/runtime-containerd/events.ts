import type { ClientReadableStream } from '@grpc/grpc-js';
import type { RuntimeContext } from './context.ts';
import { decodeFields, stringField } from './wire.ts';

/** taskExitTopic is the topic of containerd's task exit events. */
export const taskExitTopic = '/tasks/exit';

interface Envelope {
  namespace: string;
  topic: string;
  event: { type_url: string; value: Buffer } | null;
}

/** TaskExits is a live subscription to the exits of the namespace's task processes. */
export interface TaskExits {
  close(): void;
}

/**
 * subscribeTaskExits follows containerd's `/tasks/exit` events of the adapter's namespace and
 * calls onExit with the container id whenever a container's init process exits (exec'd
 * processes are waited for by their callers). A broken stream is resubscribed after a second,
 * and onResubscribe then lets the caller catch up on exits it may have missed.
 */
export function subscribeTaskExits(
  ctx: RuntimeContext,
  onExit: (containerId: string) => void,
  onResubscribe: () => void,
): TaskExits {
  let closed = false;
  let stream: ClientReadableStream<Record<string, unknown>> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const open = (resubscribed: boolean) => {
    stream = ctx.client.serverStream('events', 'Subscribe', {
      filters: [`topic=="${taskExitTopic}",namespace=="${ctx.options.namespace}"`],
    });
    stream.on('data', (m: Record<string, unknown>) => {
      const envelope = m as unknown as Envelope;
      if (envelope.topic !== taskExitTopic || !envelope.event) return;
      // TaskExit: container_id = 1, id = 2 (the process; the container id for init).
      const fields = decodeFields(envelope.event.value);
      const containerId = stringField(fields, 1);
      if (containerId && stringField(fields, 2) === containerId) onExit(containerId);
    });
    const retry = () => {
      if (closed || timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        if (!closed) open(true);
      }, 1_000);
    };
    stream.on('error', retry);
    stream.on('end', retry);
    if (resubscribed) onResubscribe();
  };
  open(false);
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      stream?.cancel();
    },
  };
}
