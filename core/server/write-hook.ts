import type { KubeObject } from '../../sdk/api/meta.ts';

/** PendingWrite is what a hook leaves to do once the store write succeeded or failed. */
export interface PendingWrite {
  /** commit runs after the write is stored (a Service releases the values it gave up). */
  commit(): Promise<void>;
  /** abort runs when the write failed (a Service releases the values taken for it). */
  abort(): Promise<void>;
}

/**
 * WriteHook adds a kind's registry steps around its writes, as kube-apiserver's per-kind
 * storage does (Services allocate cluster IPs and node ports here). Hooks run only for writes
 * of the object itself, never for its status.
 */
export interface WriteHook {
  /** prepareUpdate runs before an update is validated: carry over what the server set. */
  prepareUpdate?(next: KubeObject, prev: KubeObject): void;
  /**
   * beforeWrite runs after validation, right before the store write; it may fill in fields,
   * throws SkiffError for a refusal, and returns what to do once the write is stored or failed.
   */
  beforeWrite(
    next: KubeObject,
    prev: KubeObject | undefined,
    dryRun: boolean,
  ): Promise<PendingWrite>;
  /** afterDelete runs once a delete is stored. */
  afterDelete(object: KubeObject): Promise<void>;
}

/** WriteHooks maps `group/Kind` (core group empty: `/Service`) to its hook. */
export type WriteHooks = ReadonlyMap<string, WriteHook>;

/** writeHookKey is the key of a kind in WriteHooks. */
export const writeHookKey = (group: string, kind: string): string => `${group}/${kind}`;
