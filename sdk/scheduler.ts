import { defineExtensionKind, token } from './plugin.ts';

/**
 * The scheduler plugin contract, shaped after the Kubernetes scheduling framework: a scheduler
 * plugin implements one small interface per extension point it takes part in, and a profile
 * lists plugins by name. Expected outcomes (a node does not fit, wait for a permit) are Status
 * values; a thrown error is a fault and fails the scheduling cycle.
 */

/** statusCodes lists the codes a scheduler plugin answers with. */
export const statusCodes = [
  /** Success: the plugin ran and the pod may go on. */
  'Success',
  /** Error: an internal fault; the pod is retried with back-off. */
  'Error',
  /** Unschedulable: the pod does not fit now; preemption (PostFilter) may help. */
  'Unschedulable',
  /** UnschedulableAndUnresolvable: the pod does not fit, and preemption cannot change that. */
  'UnschedulableAndUnresolvable',
  /** Wait: a Permit plugin holds the pod until allowed, rejected or timed out. */
  'Wait',
  /** Skip: the plugin has nothing to do for this pod; its later points are skipped too. */
  'Skip',
] as const;

/** StatusCode is one of statusCodes. */
export type StatusCode = (typeof statusCodes)[number];

/** Status is the outcome of one extension point: a code, the reasons and the plugin that failed. */
export interface Status {
  readonly code: StatusCode;
  readonly reasons: readonly string[];
  /** plugin names the plugin that returned a non-success code, set by the framework. */
  readonly plugin?: string;
}

/** status builds a Status value. */
export function status(code: StatusCode, ...reasons: string[]): Status {
  return Object.freeze({ code, reasons: Object.freeze(reasons) });
}

/** success is the shared Success status. */
export const success: Status = status('Success');

/** isSuccess tells whether a status (absent counts as success) lets the pod go on. */
export function isSuccess(s: Status | undefined): boolean {
  return s === undefined || s.code === 'Success';
}

/**
 * SchedulingPod is the part of a Pod the framework hands to plugins. The full Pod type of the
 * API satisfies it, so a plugin may narrow to that type when it needs more fields.
 */
export interface SchedulingPod {
  readonly metadata: {
    readonly name?: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec?: {
    readonly schedulerName?: string;
    readonly nodeName?: string;
    readonly nodeSelector?: Readonly<Record<string, string>>;
    readonly priority?: number;
  };
}

/** SchedulingNode is the part of a Node the framework hands to plugins. */
export interface SchedulingNode {
  readonly metadata: {
    readonly name?: string;
    readonly labels?: Readonly<Record<string, string>>;
  };
  readonly spec?: { readonly unschedulable?: boolean };
  readonly status?: { readonly allocatable?: Readonly<Record<string, string>> };
}

/** NodeInfo is a node with the pods the scheduler counts as placed on it. */
export interface NodeInfo {
  readonly node: SchedulingNode;
  readonly pods: readonly SchedulingPod[];
  /**
   * requested sums the requests of the pods on the node (cpu in millicores, memory and storage
   * in bytes, other resources in units). The framework keeps it up to date; a NodeInfo built
   * by hand may leave it out, and plugins then add up the pods themselves.
   */
  readonly requested?: Readonly<Record<string, number>>;
  /** usedPorts holds the host ports taken on the node as `protocol/hostIP/port`. */
  readonly usedPorts?: ReadonlySet<string>;
  /** allocatable is the node's allocatable resources in the units of `requested`. */
  readonly allocatable?: Readonly<Record<string, number>>;
  /**
   * nonZeroRequested sums cpu and memory requests counting a container without a request as
   * 100m and 200Mi, as Kubernetes' scoring does.
   */
  readonly nonZeroRequested?: { readonly cpu: number; readonly memory: number };
  /** podsWithRequiredAntiAffinity are the pods on the node with required anti-affinity terms. */
  readonly podsWithRequiredAntiAffinity?: readonly SchedulingPod[];
}

/** MaybePromise is a value or a promise of it: hot extension points may answer synchronously. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * CycleState carries data between the extension points of one scheduling cycle (a PreFilter
 * computes, a Filter reads). Keys are namespaced by the plugin that writes them.
 */
export interface CycleState {
  read<T>(key: string): T | undefined;
  write<T>(key: string, value: T): void;
}

/**
 * nodesWithRequiredAntiAffinityKey is the CycleState key under which the framework hands every
 * cycle the nodes that hold a pod with required anti-affinity terms (a `readonly NodeInfo[]`),
 * as Kubernetes' snapshot lists them, so a plugin checking existing pods' anti-affinity need
 * not visit every node. Absent when the caller keeps no such list: then visit all nodes.
 */
export const nodesWithRequiredAntiAffinityKey = 'framework/nodesWithRequiredAntiAffinity';

/** NodeScore is one node's score from one plugin. */
export interface NodeScore {
  readonly name: string;
  score: number;
}

/** maxNodeScore and minNodeScore bound a normalized score, as in Kubernetes. */
export const maxNodeScore = 100;
/** minNodeScore is the lowest normalized score. */
export const minNodeScore = 0;

/** SchedulerPlugin is what every scheduler plugin is: a name a profile refers to. */
export interface SchedulerPlugin {
  readonly name: string;
}

/** QueueSortPlugin orders the pending pods; a profile has exactly one. */
export interface QueueSortPlugin extends SchedulerPlugin {
  less(a: SchedulingPod, b: SchedulingPod): boolean;
}

/** PreFilterResult narrows the candidate nodes; undefined node names means all nodes. */
export interface PreFilterResult {
  readonly nodeNames?: ReadonlySet<string>;
}

/** PreFilterPlugin checks the pod or precomputes state before filtering. */
export interface PreFilterPlugin extends SchedulerPlugin {
  /** nodes are every node of the cycle's snapshot (what inter-pod rules and spread count over). */
  preFilter(
    state: CycleState,
    pod: SchedulingPod,
    nodes: readonly NodeInfo[],
  ): MaybePromise<{ status: Status; result?: PreFilterResult }>;
}

/** FilterPlugin rules out nodes that cannot run the pod. */
export interface FilterPlugin extends SchedulerPlugin {
  filter(state: CycleState, pod: SchedulingPod, node: NodeInfo): MaybePromise<Status>;
}

/** PostFilterPlugin runs when no node fits (preemption lives here). */
export interface PostFilterPlugin extends SchedulerPlugin {
  postFilter(
    state: CycleState,
    pod: SchedulingPod,
    filtered: ReadonlyMap<string, Status>,
  ): Promise<{ status: Status; nominatedNodeName?: string }>;
}

/** PreScorePlugin precomputes state for scoring over the nodes that passed filtering. */
export interface PreScorePlugin extends SchedulerPlugin {
  preScore(state: CycleState, pod: SchedulingPod, nodes: readonly NodeInfo[]): MaybePromise<Status>;
}

/** ScorePlugin ranks a feasible node; NormalizeScore, when present, maps scores to 0..100. */
export interface ScorePlugin extends SchedulerPlugin {
  score(
    state: CycleState,
    pod: SchedulingPod,
    node: NodeInfo,
  ): MaybePromise<{ status: Status; score: number }>;
  normalizeScore?(state: CycleState, pod: SchedulingPod, scores: NodeScore[]): MaybePromise<Status>;
}

/** ReservePlugin holds resources on the chosen node; unreserve undoes it when a later point fails. */
export interface ReservePlugin extends SchedulerPlugin {
  reserve(state: CycleState, pod: SchedulingPod, nodeName: string): Promise<Status>;
  unreserve(state: CycleState, pod: SchedulingPod, nodeName: string): Promise<void>;
}

/** PermitPlugin approves, rejects or holds (Wait, with a timeout) the binding. */
export interface PermitPlugin extends SchedulerPlugin {
  permit(
    state: CycleState,
    pod: SchedulingPod,
    nodeName: string,
  ): Promise<{ status: Status; timeoutMs?: number }>;
}

/** PreBindPlugin prepares the node before binding (for example attaching a volume). */
export interface PreBindPlugin extends SchedulerPlugin {
  preBind(state: CycleState, pod: SchedulingPod, nodeName: string): Promise<Status>;
}

/** BindPlugin binds the pod to the node; Skip passes the pod on to the next bind plugin. */
export interface BindPlugin extends SchedulerPlugin {
  bind(state: CycleState, pod: SchedulingPod, nodeName: string): Promise<Status>;
}

/** PostBindPlugin is told that binding succeeded (informational only). */
export interface PostBindPlugin extends SchedulerPlugin {
  postBind(state: CycleState, pod: SchedulingPod, nodeName: string): Promise<void>;
}

/** AnySchedulerPlugin is a scheduler plugin taking part in one or more extension points. */
export type AnySchedulerPlugin = SchedulerPlugin &
  Partial<
    QueueSortPlugin &
      PreFilterPlugin &
      FilterPlugin &
      PostFilterPlugin &
      PreScorePlugin &
      ScorePlugin &
      ReservePlugin &
      PermitPlugin &
      PreBindPlugin &
      BindPlugin &
      PostBindPlugin
  >;

/** schedulerPluginExtension is the extension kind `scheduler-plugin/<Name>`. */
export const schedulerPluginExtension = defineExtensionKind<AnySchedulerPlugin>('scheduler-plugin');

/**
 * PodBinder writes a placement to the cluster (the pod's binding subresource). Core registers
 * one under podBinderToken; a Bind plugin resolves it. A refused binding is a Status, not a throw.
 */
export interface PodBinder {
  bind(pod: SchedulingPod, nodeName: string): Promise<Status>;
}

/** podBinderToken resolves the PodBinder the scheduler's Bind plugins use. */
export const podBinderToken = token<PodBinder>('core.podBinder');
