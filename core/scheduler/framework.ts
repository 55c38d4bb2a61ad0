import {
  type AnySchedulerPlugin,
  type BindPlugin,
  type CycleState,
  type FilterPlugin,
  isSuccess,
  maxNodeScore,
  minNodeScore,
  type NodeInfo,
  type NodeScore,
  type PermitPlugin,
  type PostFilterPlugin,
  type PreBindPlugin,
  type PreFilterPlugin,
  type PreScorePlugin,
  type QueueSortPlugin,
  type ReservePlugin,
  type SchedulingPod,
  type ScorePlugin,
  type Status,
  status,
  success,
} from '../../sdk/scheduler.ts';
import { type FitFailure, fitErrorMessage } from './fit-error.ts';

/** ProfilePluginRef names a plugin of a profile, with its score weight (default 1). */
export type ProfilePluginRef = string | { readonly name: string; readonly weight?: number };

/** ProfileConfig is one scheduling profile: the scheduler name it serves and its plugins. */
export interface ProfileConfig {
  readonly schedulerName: string;
  /** plugins take part in every extension point they implement, in this order. */
  readonly plugins: readonly ProfilePluginRef[];
  /**
   * percentageOfNodesToScore stops filtering once that share of the nodes fit; 0 or absent
   * picks Kubernetes' adaptive share (50% less 1% per 125 nodes, at least 5%, at least 100 nodes).
   */
  readonly percentageOfNodesToScore?: number;
}

/** CycleStateMap is the CycleState of one scheduling cycle. */
export class CycleStateMap implements CycleState {
  private readonly data = new Map<string, unknown>();
  /** skipFilter and skipScore hold the plugins whose PreFilter/PreScore answered Skip. */
  readonly skipFilter = new Set<string>();
  readonly skipScore = new Set<string>();
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  write<T>(key: string, value: T): void {
    this.data.set(key, value);
  }
}

/** ScheduleResult is the outcome of a scheduling cycle's filter and score phases. */
export type ScheduleResult =
  | { readonly kind: 'placed'; readonly nodeName: string; readonly evaluated: number }
  | { readonly kind: 'unschedulable'; readonly message: string; readonly failure: FitFailure }
  | { readonly kind: 'error'; readonly message: string };

const minFeasibleNodesToFind = 100;
const minFeasibleNodesPercentageToFind = 5;

/** numFeasibleNodesToFind is how many fitting nodes filtering looks for before it stops. */
export function numFeasibleNodesToFind(numAllNodes: number, percentage = 0): number {
  if (numAllNodes < minFeasibleNodesToFind) return numAllNodes;
  let pct = percentage;
  if (pct <= 0) {
    pct = Math.max(50 - Math.floor(numAllNodes / 125), minFeasibleNodesPercentageToFind);
  }
  if (pct >= 100) return numAllNodes;
  return Math.max(Math.floor((numAllNodes * pct) / 100), minFeasibleNodesToFind);
}

function isThenable<T>(v: T | Promise<T>): v is Promise<T> {
  // Plugins answer with plain values or native promises (async functions); instanceof is the
  // cheap test in the per-node loop.
  return v instanceof Promise;
}

function tagged(s: Status, plugin: string): Status {
  return Object.freeze({ ...s, plugin });
}

function unresolvable(s: Status): boolean {
  return s.code === 'Unschedulable' || s.code === 'UnschedulableAndUnresolvable';
}

/**
 * Framework runs one profile's plugins at each extension point. Plugins are looked up by name
 * in the registry given at construction; a name no plugin provides is a configuration fault.
 */
export class Framework {
  readonly schedulerName: string;
  readonly queueSort: QueueSortPlugin;
  private readonly preFilters: PreFilterPlugin[] = [];
  private readonly filters: FilterPlugin[] = [];
  private readonly postFilters: PostFilterPlugin[] = [];
  private readonly preScores: PreScorePlugin[] = [];
  private readonly scores: Array<{ plugin: ScorePlugin; weight: number }> = [];
  private readonly reserves: ReservePlugin[] = [];
  private readonly permits: PermitPlugin[] = [];
  private readonly preBinds: PreBindPlugin[] = [];
  private readonly binds: BindPlugin[] = [];
  private readonly postBinds: Array<Required<Pick<AnySchedulerPlugin, 'postBind' | 'name'>>> = [];
  private readonly percentage: number;
  private nextStartNodeIndex = 0;

  constructor(config: ProfileConfig, registry: ReadonlyMap<string, AnySchedulerPlugin>) {
    this.schedulerName = config.schedulerName;
    this.percentage = config.percentageOfNodesToScore ?? 0;
    let queueSort: QueueSortPlugin | undefined;
    for (const ref of config.plugins) {
      const name = typeof ref === 'string' ? ref : ref.name;
      const weight = typeof ref === 'string' ? 1 : (ref.weight ?? 1);
      const p = registry.get(name);
      if (p === undefined) {
        throw new Error(
          `scheduler profile "${config.schedulerName}" names plugin "${name}", which no loaded plugin provides (known: ${[...registry.keys()].sort().join(', ')})`,
        );
      }
      if (p.less !== undefined) queueSort ??= p as QueueSortPlugin;
      if (p.preFilter !== undefined) this.preFilters.push(p as PreFilterPlugin);
      if (p.filter !== undefined) this.filters.push(p as FilterPlugin);
      if (p.postFilter !== undefined) this.postFilters.push(p as PostFilterPlugin);
      if (p.preScore !== undefined) this.preScores.push(p as PreScorePlugin);
      if (p.score !== undefined) this.scores.push({ plugin: p as ScorePlugin, weight });
      if (p.reserve !== undefined) this.reserves.push(p as ReservePlugin);
      if (p.permit !== undefined) this.permits.push(p as PermitPlugin);
      if (p.preBind !== undefined) this.preBinds.push(p as PreBindPlugin);
      if (p.bind !== undefined) this.binds.push(p as BindPlugin);
      if (p.postBind !== undefined) this.postBinds.push(p as Required<AnySchedulerPlugin>);
    }
    if (queueSort === undefined) {
      throw new Error(`scheduler profile "${config.schedulerName}" has no QueueSort plugin`);
    }
    if (this.binds.length === 0) {
      throw new Error(`scheduler profile "${config.schedulerName}" has no Bind plugin`);
    }
    this.queueSort = queueSort;
  }

  /**
   * schedule runs PreFilter, Filter, PostFilter (when nothing fits), PreScore, Score and
   * NormalizeScore for a pod over the snapshot's nodes and picks the best node.
   */
  async schedule(
    state: CycleStateMap,
    pod: SchedulingPod,
    nodes: readonly NodeInfo[],
  ): Promise<ScheduleResult> {
    if (nodes.length === 0) {
      return {
        kind: 'unschedulable',
        message: 'no nodes available to schedule pods',
        failure: { numAllNodes: 0, filtered: new Map() },
      };
    }
    let allowed: ReadonlySet<string> | undefined;
    for (const p of this.preFilters) {
      let r = p.preFilter(state, pod, nodes);
      if (isThenable(r)) r = await r;
      if (r.status.code === 'Skip') {
        state.skipFilter.add(p.name);
        continue;
      }
      if (!isSuccess(r.status)) {
        if (!unresolvable(r.status)) return this.error(p.name, r.status);
        const msg = r.status.reasons.join(', ');
        const filtered = new Map(nodes.map((n) => [n.node.metadata.name ?? '', r.status]));
        return this.unschedulable(state, pod, {
          numAllNodes: nodes.length,
          filtered,
          preFilterMsg: msg,
        });
      }
      const names = r.result?.nodeNames;
      if (names !== undefined) {
        allowed = allowed === undefined ? names : new Set([...allowed].filter((n) => names.has(n)));
      }
    }

    const filtered = new Map<string, Status>();
    const feasible: NodeInfo[] = [];
    const want = numFeasibleNodesToFind(nodes.length, this.percentage);
    const filters = this.filters.filter((f) => !state.skipFilter.has(f.name));
    const start = this.nextStartNodeIndex % nodes.length;
    let evaluated = 0;
    for (let i = 0; i < nodes.length && feasible.length < want; i++) {
      const info = nodes[(start + i) % nodes.length] as NodeInfo;
      evaluated += 1;
      const name = info.node.metadata.name ?? '';
      if (allowed !== undefined && !allowed.has(name)) {
        filtered.set(
          name,
          status('UnschedulableAndUnresolvable', "node(s) didn't satisfy plugin(s) [PreFilter]"),
        );
        continue;
      }
      let failed: Status | undefined;
      for (const f of filters) {
        let s = f.filter(state, pod, info);
        if (isThenable(s)) s = await s;
        if (s !== success && s.code !== 'Success') {
          failed = tagged(s, f.name);
          break;
        }
      }
      if (failed === undefined) feasible.push(info);
      else if (!unresolvable(failed)) return this.error(failed.plugin ?? '', failed);
      else filtered.set(name, failed);
    }
    this.nextStartNodeIndex = (start + evaluated) % nodes.length;

    if (feasible.length === 0) {
      return this.unschedulable(state, pod, { numAllNodes: nodes.length, filtered });
    }
    if (feasible.length === 1) {
      return { kind: 'placed', nodeName: feasible[0]?.node.metadata.name ?? '', evaluated };
    }
    const totals = await this.scoreNodes(state, pod, feasible);
    if ('error' in totals) return { kind: 'error', message: totals.error };
    return { kind: 'placed', nodeName: pickBest(feasible, totals.sum), evaluated };
  }

  private async scoreNodes(
    state: CycleStateMap,
    pod: SchedulingPod,
    feasible: readonly NodeInfo[],
  ): Promise<{ sum: Float64Array } | { error: string }> {
    for (const p of this.preScores) {
      let s = p.preScore(state, pod, feasible);
      if (isThenable(s)) s = await s;
      if (s.code === 'Skip') state.skipScore.add(p.name);
      else if (!isSuccess(s)) return { error: `${p.name}: ${s.reasons.join(', ')}` };
    }
    const sum = new Float64Array(feasible.length);
    for (const { plugin, weight } of this.scores) {
      if (state.skipScore.has(plugin.name)) continue;
      const raw = new Float64Array(feasible.length);
      for (let i = 0; i < feasible.length; i++) {
        let r = plugin.score(state, pod, feasible[i] as NodeInfo);
        if (isThenable(r)) r = await r;
        if (r.status !== success && r.status.code !== 'Success') {
          return { error: `${plugin.name}: ${r.status.reasons.join(', ')}` };
        }
        raw[i] = r.score;
      }
      if (plugin.normalizeScore !== undefined) {
        // NodeScore objects only for the plugins that normalize: fewer allocations per cycle.
        const scores: NodeScore[] = feasible.map((info, i) => ({
          name: info.node.metadata.name ?? '',
          score: raw[i] ?? 0,
        }));
        let s = plugin.normalizeScore(state, pod, scores);
        if (isThenable(s)) s = await s;
        if (!isSuccess(s)) return { error: `${plugin.name}: ${s.reasons.join(', ')}` };
        for (let i = 0; i < scores.length; i++) raw[i] = scores[i]?.score ?? 0;
      }
      for (let i = 0; i < raw.length; i++) {
        const v = raw[i] ?? 0;
        if (!(v >= minNodeScore && v <= maxNodeScore)) {
          return {
            error: `plugin "${plugin.name}" returns an invalid score ${v}, it should be in the range of [${minNodeScore}, ${maxNodeScore}] after normalizing`,
          };
        }
        sum[i] = (sum[i] ?? 0) + v * weight;
      }
    }
    return { sum };
  }

  private async unschedulable(
    state: CycleStateMap,
    pod: SchedulingPod,
    failure: FitFailure,
  ): Promise<ScheduleResult> {
    const postMsgs: string[] = [];
    for (const p of this.postFilters) {
      const r = await p.postFilter(state, pod, failure.filtered);
      if (r.status.code === 'Success') break;
      postMsgs.push(...r.status.reasons);
    }
    const full: FitFailure = { ...failure, postFilterMsg: postMsgs.join(' ') };
    return { kind: 'unschedulable', message: fitErrorMessage(full), failure: full };
  }

  private error(plugin: string, s: Status): ScheduleResult {
    return { kind: 'error', message: `running "${plugin}": ${s.reasons.join(', ')}` };
  }

  /** reserve runs every Reserve plugin; on a failure it unreserves them all, in reverse. */
  async reserve(state: CycleState, pod: SchedulingPod, nodeName: string): Promise<Status> {
    for (const p of this.reserves) {
      const s = await p.reserve(state, pod, nodeName);
      if (!isSuccess(s)) {
        await this.unreserve(state, pod, nodeName);
        return tagged(s, p.name);
      }
    }
    return success;
  }

  /** unreserve runs every Reserve plugin's unreserve, in reverse order. */
  async unreserve(state: CycleState, pod: SchedulingPod, nodeName: string): Promise<void> {
    for (const p of [...this.reserves].reverse()) await p.unreserve(state, pod, nodeName);
  }

  /**
   * permit runs the Permit plugins: a rejection ends there; Waits are collected with the
   * longest timeout among them, and the binding cycle waits for them.
   */
  async permit(
    state: CycleState,
    pod: SchedulingPod,
    nodeName: string,
  ): Promise<{ status: Status; waitingOn: string[]; timeoutMs: number }> {
    const waitingOn: string[] = [];
    let timeoutMs = 0;
    for (const p of this.permits) {
      const r = await p.permit(state, pod, nodeName);
      if (r.status.code === 'Wait') {
        waitingOn.push(p.name);
        timeoutMs = Math.max(timeoutMs, r.timeoutMs ?? 0);
      } else if (!isSuccess(r.status) && r.status.code !== 'Skip') {
        return { status: tagged(r.status, p.name), waitingOn: [], timeoutMs: 0 };
      }
    }
    return { status: waitingOn.length > 0 ? status('Wait') : success, waitingOn, timeoutMs };
  }

  /** preBind runs the PreBind plugins; the first failure stops them. */
  async preBind(state: CycleState, pod: SchedulingPod, nodeName: string): Promise<Status> {
    for (const p of this.preBinds) {
      const s = await p.preBind(state, pod, nodeName);
      if (!isSuccess(s) && s.code !== 'Skip') return tagged(s, p.name);
    }
    return success;
  }

  /** bind asks the Bind plugins in order; Skip passes on to the next one. */
  async bind(state: CycleState, pod: SchedulingPod, nodeName: string): Promise<Status> {
    for (const p of this.binds) {
      const s = await p.bind(state, pod, nodeName);
      if (s.code === 'Skip') continue;
      return isSuccess(s) ? success : tagged(s, p.name);
    }
    return status('Error', 'every Bind plugin skipped the pod');
  }

  /** postBind tells the PostBind plugins about a binding that succeeded. */
  async postBind(state: CycleState, pod: SchedulingPod, nodeName: string): Promise<void> {
    for (const p of this.postBinds) await p.postBind(state, pod, nodeName);
  }
}

/** pickBest returns the highest-scoring node, choosing uniformly at random among ties. */
function pickBest(nodes: readonly NodeInfo[], sum: Float64Array): string {
  let best = 0;
  let ties = 1;
  for (let i = 1; i < nodes.length; i++) {
    const s = sum[i] ?? 0;
    const b = sum[best] ?? 0;
    if (s > b) {
      best = i;
      ties = 1;
    } else if (s === b) {
      ties += 1;
      if (Math.random() * ties < 1) best = i;
    }
  }
  return nodes[best]?.node.metadata.name ?? '';
}
