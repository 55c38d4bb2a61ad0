import type { Node } from '../../sdk/api/core/node.ts';
import type { Pod } from '../../sdk/api/core/pod.ts';
import {
  type AnySchedulerPlugin,
  nodesWithRequiredAntiAffinityKey,
  type SchedulingNode,
  type SchedulingPod,
  type Status,
} from '../../sdk/scheduler.ts';
import { SchedulerCache } from './cache.ts';
import type { SchedulerCluster, WatchEvent } from './cluster.ts';
import { CycleStateMap, Framework, type ProfileConfig } from './framework.ts';
import { podKey } from './node-info.ts';
import { type QueuedPod, type QueueOptions, SchedulingQueue } from './queue.ts';

/** SchedulerOptions wires a scheduler: the cluster, the plugins by name and the profiles. */
export interface SchedulerOptions {
  readonly cluster: SchedulerCluster;
  readonly plugins: ReadonlyMap<string, AnySchedulerPlugin>;
  readonly profiles: readonly ProfileConfig[];
  readonly queue?: QueueOptions;
  /** onError hears of faults (a plugin that threw); the pod is retried with back-off. */
  readonly onError?: (err: unknown, pod: SchedulingPod) => void;
  /**
   * onAttempt hears how each attempt ended and how long it took, from leaving the queue to the
   * end of binding (or of the failed cycle), in milliseconds. The bench reads latency from it.
   */
  readonly onAttempt?: (outcome: 'scheduled' | 'unschedulable' | 'error', ms: number) => void;
}

/** WaitingPod is a pod held at Permit; allow or reject settles it. */
interface WaitingPod {
  readonly pending: Set<string>;
  readonly settle: (s: Status) => void;
}

/** loopSliceMs is how long the scheduling loop runs cycles before it lets I/O in. */
const loopSliceMs = 2;

function asSchedulingPod(pod: Pod): SchedulingPod {
  return { ...pod, metadata: pod.metadata ?? {} } as SchedulingPod;
}

function schedulingRelevant(a: Pod, b: Pod): boolean {
  // Status-only updates (our own PodScheduled condition) must not requeue the pod.
  return (
    JSON.stringify(a.spec) !== JSON.stringify(b.spec) ||
    JSON.stringify(a.metadata?.labels) !== JSON.stringify(b.metadata?.labels)
  );
}

function nodeSchedulingChanged(a: Node, b: Node): boolean {
  return (
    JSON.stringify(a.metadata?.labels) !== JSON.stringify(b.metadata?.labels) ||
    JSON.stringify(a.spec?.taints) !== JSON.stringify(b.spec?.taints) ||
    a.spec?.unschedulable !== b.spec?.unschedulable ||
    JSON.stringify(a.status?.allocatable) !== JSON.stringify(b.status?.allocatable)
  );
}

/**
 * Scheduler places pending pods on nodes. It watches pods and nodes, keeps a SchedulerCache,
 * takes pods from the SchedulingQueue one at a time through the scheduling cycle of the
 * profile their spec.schedulerName picks (pods no profile serves are left to another
 * scheduler), and binds asynchronously so the next cycle need not wait for the API.
 */
export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  private readonly profiles = new Map<string, Framework>();
  private readonly stops: Array<() => void> = [];
  private readonly waiting = new Map<string, WaitingPod>();
  private readonly bindings = new Set<Promise<void>>();
  private readonly pods = new Map<string, Pod>();
  private running: Promise<void> | undefined;
  /** clusterEvents counts node and bound-pod changes, so a cycle can tell that something moved. */
  private clusterEvents = 0;
  /** cycles counts the scheduling cycles run. */
  cycles = 0;

  constructor(private readonly opts: SchedulerOptions) {
    for (const p of opts.profiles) {
      if (this.profiles.has(p.schedulerName)) {
        throw new Error(`two scheduler profiles serve schedulerName "${p.schedulerName}"`);
      }
      this.profiles.set(p.schedulerName, new Framework(p, opts.plugins));
    }
    const first = this.profiles.values().next().value;
    if (first === undefined) throw new Error('a scheduler needs at least one profile');
    // One queue for every profile, sorted by the first profile's QueueSort, as Kubernetes requires
    // all profiles to share one QueueSort.
    this.queue = new SchedulingQueue((a, b) => first.queueSort.less(a, b), opts.queue);
  }

  /** serves tells whether a profile of this scheduler serves the pod's schedulerName. */
  serves(pod: Pod): boolean {
    return this.profiles.has(pod.spec?.schedulerName ?? 'default-scheduler');
  }

  /** start begins watching and scheduling; stop() ends it. */
  start(): void {
    if (this.running !== undefined) return;
    this.stops.push(this.opts.cluster.watchNodes((e) => this.onNode(e)));
    this.stops.push(this.opts.cluster.watchPods((e) => this.onPod(e)));
    this.running = this.loop();
  }

  /** stop ends the watches and the loop, rejects pods waiting at Permit, and waits for bindings. */
  async stop(): Promise<void> {
    for (const s of this.stops.splice(0)) s();
    this.queue.close();
    for (const w of this.waiting.values())
      w.settle({ code: 'Unschedulable', reasons: ['scheduler stopped'] });
    await this.running;
    await Promise.allSettled([...this.bindings]);
    this.running = undefined;
  }

  /**
   * idle resolves once no pod is ready to schedule and no binding is in flight (pods parked as
   * unschedulable or in back-off do not count). Tests and the bench wait on it.
   */
  async idle(): Promise<void> {
    for (;;) {
      while (this.bindings.size > 0) await Promise.allSettled([...this.bindings]);
      const c = this.queue.counts();
      if (c.active === 0 && this.queue.inFlightCount() === 0 && this.bindings.size === 0) return;
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  /** allow lets a pod held at Permit by that plugin go on; the last allow releases it. */
  allow(key: string, plugin: string): boolean {
    const w = this.waiting.get(key);
    if (w === undefined || !w.pending.delete(plugin)) return false;
    if (w.pending.size === 0) w.settle({ code: 'Success', reasons: [] });
    return true;
  }

  /** reject turns down a pod held at Permit. */
  reject(key: string, plugin: string, reason: string): boolean {
    const w = this.waiting.get(key);
    if (w === undefined) return false;
    w.settle({ code: 'Unschedulable', reasons: [reason], plugin });
    return true;
  }

  /** waitingPods lists the pods held at Permit. */
  waitingPods(): string[] {
    return [...this.waiting.keys()];
  }

  private onNode(e: WatchEvent<Node>): void {
    const node = { ...e.object, metadata: e.object.metadata ?? {} } as SchedulingNode;
    const name = node.metadata.name ?? '';
    if (e.type === 'DELETED') {
      this.cache.removeNode(name);
      this.clusterEvents += 1;
      return;
    }
    const before = this.cache.node(name)?.node as Node | undefined;
    this.cache.upsertNode(node);
    // Heartbeats and condition updates change nothing a plugin reads: no retry storm for them.
    if (before !== undefined && !nodeSchedulingChanged(before, e.object)) return;
    this.clusterEvents += 1;
    this.queue.moveAllToActiveOrBackoff();
  }

  private onPod(e: WatchEvent<Pod>): void {
    const pod = asSchedulingPod(e.object);
    const key = podKey(pod);
    const before = this.pods.get(key);
    if (e.type === 'DELETED') {
      this.pods.delete(key);
      this.queue.delete(key);
      if (e.object.spec?.nodeName) {
        this.cache.removePod(key);
        this.clusterEvents += 1;
        // A pod gone frees room: pods that did not fit get another try.
        this.queue.moveAllToActiveOrBackoff();
      }
      return;
    }
    this.pods.set(key, e.object);
    if (e.object.spec?.nodeName) {
      this.queue.delete(key);
      if (before?.spec?.nodeName === undefined || schedulingRelevant(before, e.object)) {
        this.cache.upsertPod(pod);
        this.clusterEvents += 1;
        // A pod placed on a node (ours included, now confirmed) can satisfy another pod's
        // affinity or spread, so the pods that did not fit get another try.
        this.queue.moveAllToActiveOrBackoff();
      }
      return;
    }
    if (!this.serves(e.object)) return;
    if (before !== undefined && !schedulingRelevant(before, e.object)) return;
    this.queue.add(pod);
  }

  private async loop(): Promise<void> {
    let sliceStart = performance.now();
    for (;;) {
      // Cycles chain through promise jobs, which run before any I/O: without a pause now and
      // then, binding requests would not leave and watch events would not arrive until the
      // whole queue was drained. Kubernetes runs binding in goroutines beside the cycle.
      if (performance.now() - sliceStart >= loopSliceMs) {
        await new Promise((r) => setImmediate(r));
        sliceStart = performance.now();
      }
      const q = await this.queue.pop();
      if (q === undefined) return;
      try {
        await this.scheduleOne(q);
      } catch (err) {
        this.opts.onError?.(err, q.pod);
        this.queue.requeueError(q);
      }
    }
  }

  /** scheduleOne runs one pod's scheduling cycle and starts its binding cycle. */
  private async scheduleOne(q: QueuedPod): Promise<void> {
    const pod = q.pod;
    const fw = this.profiles.get(pod.spec?.schedulerName ?? 'default-scheduler');
    if (fw === undefined || pod.spec?.nodeName) {
      this.queue.done(q.key);
      return;
    }
    this.cycles += 1;
    q.poppedAt = performance.now();
    const eventsAtStart = this.clusterEvents;
    const state = new CycleStateMap();
    const nodes = this.cache.nodes().slice();
    state.write(nodesWithRequiredAntiAffinityKey, this.cache.nodesWithRequiredAntiAffinity());
    const result = await fw.schedule(state, pod, nodes);
    if (result.kind === 'unschedulable') {
      this.attempt(q, 'unschedulable');
      await this.failed(pod, 'Unschedulable', result.message);
      this.queue.requeueUnschedulable(q, this.clusterEvents !== eventsAtStart);
      return;
    }
    if (result.kind === 'error') {
      this.attempt(q, 'error');
      await this.failed(pod, 'SchedulerError', result.message);
      this.queue.requeueError(q);
      return;
    }
    const nodeName = result.nodeName;
    this.cache.assumePod({ ...pod, spec: { ...pod.spec, nodeName } }, nodeName);
    const reserved = await fw.reserve(state, pod, nodeName);
    if (reserved.code !== 'Success') {
      this.cache.forgetPod(q.key);
      await this.failed(pod, 'SchedulerError', reserved.reasons.join(', '));
      this.queue.requeueError(q);
      return;
    }
    const permit = await fw.permit(state, pod, nodeName);
    if (permit.status.code !== 'Success' && permit.status.code !== 'Wait') {
      await fw.unreserve(state, pod, nodeName);
      this.cache.forgetPod(q.key);
      await this.failed(pod, 'Unschedulable', permit.status.reasons.join(', '));
      this.queue.requeueUnschedulable(q, true);
      return;
    }
    const binding = this.bindCycle(fw, state, q, nodeName, permit).finally(() =>
      this.bindings.delete(binding),
    );
    this.bindings.add(binding);
  }

  private async bindCycle(
    fw: Framework,
    state: CycleStateMap,
    q: QueuedPod,
    nodeName: string,
    permit: { status: Status; waitingOn: string[]; timeoutMs: number },
  ): Promise<void> {
    const pod = q.pod;
    let s: Status = permit.status;
    if (s.code === 'Wait') s = await this.waitOnPermit(q.key, permit.waitingOn, permit.timeoutMs);
    if (s.code === 'Success') s = await fw.preBind(state, pod, nodeName);
    if (s.code === 'Success') s = await fw.bind(state, pod, nodeName);
    if (s.code === 'Success') {
      this.attempt(q, 'scheduled');
      this.queue.done(q.key);
      await fw.postBind(state, pod, nodeName);
      await this.opts.cluster.recordEvent(this.podOf(pod), {
        type: 'Normal',
        reason: 'Scheduled',
        message: `Successfully assigned ${q.key} to ${nodeName}`,
      });
      return;
    }
    await fw.unreserve(state, pod, nodeName);
    this.cache.forgetPod(q.key);
    // The cache changed (the pod left its node): others may fit now.
    this.clusterEvents += 1;
    this.queue.moveAllToActiveOrBackoff();
    const unschedulable = s.code === 'Unschedulable' || s.code === 'UnschedulableAndUnresolvable';
    this.attempt(q, unschedulable ? 'unschedulable' : 'error');
    await this.failed(
      pod,
      unschedulable ? 'Unschedulable' : 'SchedulerError',
      s.reasons.join(', '),
    );
    if (unschedulable) this.queue.requeueUnschedulable(q, true);
    else this.queue.requeueError(q);
  }

  private waitOnPermit(key: string, plugins: string[], timeoutMs: number): Promise<Status> {
    return new Promise((resolve) => {
      const timer = setTimeout(
        () =>
          settle({
            code: 'Unschedulable',
            reasons: [`rejected due to timeout after waiting ${timeoutMs}ms`],
            plugin: plugins[0],
          }),
        timeoutMs,
      );
      const settle = (s: Status): void => {
        clearTimeout(timer);
        this.waiting.delete(key);
        resolve(s);
      };
      this.waiting.set(key, { pending: new Set(plugins), settle });
    });
  }

  private attempt(q: QueuedPod, outcome: 'scheduled' | 'unschedulable' | 'error'): void {
    this.opts.onAttempt?.(outcome, performance.now() - q.poppedAt);
  }

  private podOf(pod: SchedulingPod): Pod {
    return this.pods.get(podKey(pod)) ?? (pod as Pod);
  }

  private async failed(pod: SchedulingPod, reason: string, message: string): Promise<void> {
    const current = this.podOf(pod);
    await this.opts.cluster.setCondition(current, {
      type: 'PodScheduled',
      status: 'False',
      reason,
      message,
    });
    await this.opts.cluster.recordEvent(current, {
      type: 'Warning',
      reason: 'FailedScheduling',
      message,
    });
  }
}
