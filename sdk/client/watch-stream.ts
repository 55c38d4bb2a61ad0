import type { Readable } from 'node:stream';
import type { KubeObject } from '../api/meta.ts';

/** WatchEventType is the type of one watch event. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** WatchEvent is one line of a watch stream; an ERROR event's object is a Status. */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  readonly type: WatchEventType;
  readonly object: T;
}

/**
 * readWatchEvents yields the events of a newline-delimited JSON watch stream. Chunks may split
 * or join lines anywhere, so text is buffered up to each newline; blank lines are skipped.
 */
export async function* readWatchEvents<T extends KubeObject = KubeObject>(
  stream: Readable,
): AsyncGenerator<WatchEvent<T>> {
  let pending = '';
  const decoder = new TextDecoder();
  try {
    for await (const chunk of stream) {
      pending +=
        typeof chunk === 'string' ? chunk : decoder.decode(chunk as Uint8Array, { stream: true });
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line !== '') yield JSON.parse(line) as WatchEvent<T>;
        newline = pending.indexOf('\n');
      }
    }
  } catch (err) {
    // A connection cut by a restarting server or an abort simply ends the stream: the caller
    // resumes from the last resourceVersion it saw.
    if (!isStreamEnd(err)) throw err;
  }
  const rest = pending.trim();
  if (rest !== '') {
    try {
      yield JSON.parse(rest) as WatchEvent<T>;
    } catch {
      // a half-written last line of a cut stream carries nothing usable
    }
  }
}

function isStreamEnd(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return (
    (err as Error).name === 'AbortError' ||
    code === 'ECONNRESET' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    code === 'ABORT_ERR'
  );
}
