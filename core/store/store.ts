/**
 * The store contract: skiff's system of record, served by embedded SQLite (the default) or an
 * etcd cluster. Both backends pass one conformance suite (test/conformance/store) and behave
 * the same way in everything below.
 *
 * Revisions. The store has one revision counter for the whole cluster. Every successful write
 * (create, update, delete, TTL expiry) raises it by one and is tagged with the new value. Each
 * key carries the revision it was created at (`createRevision`) and the one it was last
 * written at (`modRevision`); an object's resourceVersion is its `modRevision`. A store that
 * has never been written reports revision 1 (etcd's convention).
 *
 * Keys are printable ASCII (0x21-0x7E, no spaces), start with `/`, and are at most
 * {@link maxKeyBytes} bytes; values are at most {@link maxValueBytes} bytes. Anything else is
 * refused with `BadRequest` or `RequestEntityTooLarge` before anything is written. Keys sort
 * by byte order; a prefix selects every key that starts with it.
 *
 * Errors. Expected refusals are thrown as SkiffError with a catalogue code: `AlreadyExists`
 * (create of a present key), `NotFound` (update or delete of an absent key), `Conflict` (the
 * key's modRevision is not the one the write required), `Expired` (a read or watch at a
 * revision compaction removed), `Timeout` (the backend did not answer within its deadline),
 * `ServiceUnavailable` (the backend cannot be reached or the store is closed). Absence on
 * `get` is a value (`undefined`), not an error.
 *
 * Watch. `watch(prefix, fromRevision, ...)` delivers every event on keys under the prefix
 * whose revision is >= fromRevision (inclusive, as etcd's start_revision), in revision order,
 * none missed or repeated, until closed. To follow a list taken at revision R, watch from
 * R + 1. A fromRevision below the compacted revision fails with `Expired` (the API server
 * answers 410 Gone); so does a live watch that falls that far behind. Watchers of one prefix
 * may be handed the same event object: listeners must not change it.
 *
 * Compaction. `compact(R)` forgets history before R: reads and watches at revisions >= R keep
 * working, older ones get `Expired`. Stores also compact on their own (see
 * {@link CompactionOptions}).
 */

import { token } from '../../sdk/plugin.ts';

/** maxKeyBytes is the longest key the store holds. */
export const maxKeyBytes = 1024;

/** maxValueBytes is the largest value the store holds (etcd's default request limit is 1.5 MiB). */
export const maxValueBytes = 1_500_000;

/** StoreValue is what a write accepts: bytes, or a string stored as its UTF-8 bytes. */
export type StoreValue = Uint8Array | string;

/** StoreItem is one key with its value and revisions. */
export interface StoreItem {
  key: string;
  value: Uint8Array;
  createRevision: number;
  modRevision: number;
}

/** ListOptions pages and pins a list. */
export interface ListOptions {
  /** limit caps the items returned; 0 or absent means all. */
  limit?: number;
  /** continue is the token a previous page returned; the page continues at that list's revision. */
  continue?: string;
  /** revision reads the state as it was at that revision (absent: the current one). */
  revision?: number;
}

/** ListResult is one page of a list. */
export interface ListResult {
  items: StoreItem[];
  /** revision is the revision the whole list (every page) is consistent at. */
  revision: number;
  /** continue is set when more items follow; pass it back to get the next page. */
  continue?: string;
  /** remaining counts the items after this page, when more follow. */
  remaining?: number;
}

/** CreateOptions are the options of a create. */
export interface CreateOptions {
  /** ttlSeconds makes the key expire: it is deleted (a normal delete event) after that time. */
  ttlSeconds?: number;
}

/** UpdateOptions are the options of an update. */
export interface UpdateOptions {
  /** expectedModRevision makes the update fail with Conflict unless the key is at that revision. */
  expectedModRevision?: number;
  /** ttlSeconds gives the key a new time to live (absent: the key no longer expires). */
  ttlSeconds?: number;
}

/** DeleteOptions are the options of a delete. */
export interface DeleteOptions {
  /** expectedModRevision makes the delete fail with Conflict unless the key is at that revision. */
  expectedModRevision?: number;
}

/** StoreEvent is one change seen by a watch. */
export interface StoreEvent {
  type: 'put' | 'delete';
  key: string;
  /** value is the new value of a put; empty for a delete. */
  value: Uint8Array;
  /** prevValue is the value before the change, when the store still knows it. */
  prevValue?: Uint8Array;
  /** modRevision is the revision of the change. */
  modRevision: number;
  /** createRevision is the key's create revision (0 for a delete). */
  createRevision: number;
}

/** WatchListener receives a watch's events in order, then at most one error that ends it. */
export interface WatchListener {
  onEvent(event: StoreEvent): void;
  /** onError ends the watch: `Expired` when history was compacted, other codes for faults. */
  onError(error: Error): void;
}

/** StoreWatch is a running watch. */
export interface StoreWatch {
  /** close stops delivery; no event arrives after it resolves. */
  close(): Promise<void>;
}

/** CompactionOptions configure automatic compaction. */
export interface CompactionOptions {
  /**
   * intervalMs is how often the store compacts (0 turns it off). Each run compacts up to the
   * revision seen by the previous run, so at least one interval of history stays watchable.
   */
  intervalMs: number;
}

/** Store is skiff's system of record. */
export interface Store {
  /** get returns the key's current item, or undefined when the key is absent. */
  get(key: string): Promise<StoreItem | undefined>;
  /** list returns the keys under a prefix in key order, consistent at one revision. */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /** count returns how many keys are under a prefix now. */
  count(prefix: string): Promise<number>;
  /** create writes a key that must be absent and returns its revision. */
  create(key: string, value: StoreValue, options?: CreateOptions): Promise<number>;
  /** update writes a key that must be present and returns its new modRevision. */
  update(key: string, value: StoreValue, options?: UpdateOptions): Promise<number>;
  /** delete removes a key that must be present and returns the item as it was. */
  delete(key: string, options?: DeleteOptions): Promise<StoreItem>;
  /** watch follows the keys under a prefix from a revision (inclusive); see the module doc. */
  watch(prefix: string, fromRevision: number, listener: WatchListener): Promise<StoreWatch>;
  /** compact forgets history before a revision. */
  compact(revision: number): Promise<void>;
  /** currentRevision is the revision of the latest write. */
  currentRevision(): Promise<number>;
  /** close releases the store: pending writes finish, open watches end with ServiceUnavailable. */
  close(): Promise<void>;
}

/** storeToken injects the process's one Store (only the API server should ask for it). */
export const storeToken = token<Store>('core.store');
