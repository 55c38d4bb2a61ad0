import type { ServerResponse } from 'node:http';
import type { KubeObject } from '../../sdk/api/meta.ts';
import { isSkiffError } from '../../sdk/errors.ts';
import type { StoreEvent, StoreWatch } from '../store/store.ts';
import type { ListQuery, ObjectService } from './object-service.ts';
import { decodeStored, fromStorage, type Resource, storagePrefix } from './resources.ts';
import { statusOf } from './status.ts';

/** WatchRequest holds a watch's query parameters. */
export interface WatchRequest extends ListQuery {
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  /** name limits the watch to one object (a watch on `.../pods/NAME`). */
  name?: string;
}

/** WatchEncoder turns one event's object into what is sent (the object, or a one-row Table). */
export type WatchEncoder = (object: KubeObject) => unknown;

/** WatchOptions tune the stream. */
export interface WatchOptions {
  /** bookmarkIntervalMs is how often a BOOKMARK is sent when the client allows them. */
  bookmarkIntervalMs: number;
}

// One store event reaches every watcher of its prefix with the same value bytes, so each
// watcher need not parse and serialize it again: objects are decoded once per served version,
// and event lines of plain objects are serialized once per event type. Watchers only read
// these objects; the encoders build new ones.
const decodedValues = new WeakMap<Uint8Array, Map<string, KubeObject>>();
const eventLines = new WeakMap<object, Map<string, string>>();

function storedObject(res: Resource, value: Uint8Array, modRevision: number): KubeObject {
  let byVersion = decodedValues.get(value);
  if (byVersion === undefined) {
    byVersion = new Map();
    decodedValues.set(value, byVersion);
  }
  const key = `${res.def.apiVersion}/${res.def.kind}@${modRevision}`;
  let object = byVersion.get(key);
  if (object === undefined) {
    object = fromStorage(res, decodeStored(value), modRevision);
    byVersion.set(key, object);
  }
  return object;
}

function eventLine(type: string, object: unknown): string {
  if (typeof object !== 'object' || object === null) return `${JSON.stringify({ type, object })}\n`;
  let byType = eventLines.get(object);
  if (byType === undefined) {
    byType = new Map();
    eventLines.set(object, byType);
  }
  let line = byType.get(type);
  if (line === undefined) {
    line = `${JSON.stringify({ type, object })}\n`;
    byType.set(type, line);
  }
  return line;
}

/**
 * serveWatch streams watch events on a raw response: ADDED for what exists when no
 * resourceVersion (or 0) is given, then every change after it, one JSON event per line. A
 * resourceVersion compacted away ends the stream with an ERROR event carrying a 410 Status.
 * Headers are flushed at once so clients waiting on an idle watch see it is open.
 */
export async function serveWatch(
  objects: ObjectService,
  res: Resource,
  ns: string | undefined,
  req: WatchRequest,
  out: ServerResponse,
  encode: WatchEncoder,
  options: WatchOptions,
): Promise<void> {
  const selected = objects.filter(res, req);
  const matches = (o: KubeObject) =>
    (req.name === undefined || o.metadata?.name === req.name) && (selected?.(o) ?? true);
  out.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
  out.flushHeaders();
  let closed = false;
  let watch: StoreWatch | undefined;
  const timers: NodeJS.Timeout[] = [];
  const finish = () => {
    if (closed) return;
    closed = true;
    for (const t of timers) clearTimeout(t);
    void watch?.close();
    out.end();
  };
  const send = (type: string, object: unknown) => {
    if (!closed) out.write(eventLine(type, object));
  };
  out.on('close', finish);
  let lastRevision = 0;
  let from: number;
  const rv = req.resourceVersion;
  if (rv === undefined || rv === '' || rv === '0') {
    const page = await objects.list(res, ns, { ...req, limit: 0 });
    for (const o of page.items) if (matches(o)) send('ADDED', encode(o));
    from = page.revision + 1;
    lastRevision = page.revision;
  } else {
    from = Number(rv) + 1;
    lastRevision = Number(rv);
  }
  if (req.timeoutSeconds !== undefined && req.timeoutSeconds > 0)
    timers.push(setTimeout(finish, req.timeoutSeconds * 1000));
  if (req.allowWatchBookmarks) {
    const tick = () => {
      send('BOOKMARK', {
        kind: res.def.kind,
        apiVersion: res.def.apiVersion,
        metadata: { resourceVersion: String(lastRevision) },
      });
      timers.push(setTimeout(tick, options.bookmarkIntervalMs));
    };
    timers.push(setTimeout(tick, options.bookmarkIntervalMs));
  }
  const onEvent = (e: StoreEvent) => {
    lastRevision = e.modRevision;
    if (e.type === 'put') {
      const o = storedObject(res, e.value, e.modRevision);
      const was =
        e.prevValue === undefined ? undefined : storedObject(res, e.prevValue, e.modRevision);
      const now = matches(o);
      const before = was !== undefined && matches(was);
      if (now)
        send(e.createRevision === e.modRevision || !before ? 'ADDED' : 'MODIFIED', encode(o));
      else if (before && was !== undefined) send('DELETED', encode(was));
    } else {
      const key = e.key.slice(e.key.lastIndexOf('/') + 1);
      const gone: KubeObject =
        e.prevValue === undefined
          ? { apiVersion: res.def.apiVersion, kind: res.def.kind, metadata: { name: key } }
          : storedObject(res, e.prevValue, e.modRevision);
      if (matches(gone)) send('DELETED', encode(gone));
    }
  };
  if (closed) return;
  try {
    watch = await objects.store.watch(storagePrefix(res, ns), from, {
      onEvent,
      onError: (err) => {
        send('ERROR', statusOf(err));
        finish();
      },
    });
    if (closed) await watch.close();
  } catch (err) {
    send('ERROR', statusOf(isSkiffError(err) ? err : err));
    finish();
  }
}
