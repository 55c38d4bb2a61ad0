import type { KubeObject } from '../../sdk/api/meta.ts';
import type { KubeClient } from '../../sdk/client/client.ts';
import type { ResourceRef } from '../../sdk/client/resource.ts';
import { Informer } from '../../sdk/controller/informer.ts';
import { isSkiffError } from '../../sdk/errors.ts';
import { microTime } from '../agent/node.ts';
import { nodeAddresses, PodIpPool } from './addresses.ts';
import { runningPodStatus, type SimNodeSpec, simLease, simNode, simNodeStatus } from './objects.ts';

const nodesRef: ResourceRef = { group: '', version: 'v1', plural: 'nodes' };
const leasesRef: ResourceRef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  namespace: 'kube-node-lease',
};
const allPodsRef: ResourceRef = { group: '', version: 'v1', plural: 'pods' };
const podsIn = (namespace: string): ResourceRef => ({ ...allPodsRef, namespace });

/** NodeSimulatorOptions say which nodes to simulate and how they look. */
export interface NodeSimulatorOptions extends SimNodeSpec {
  readonly client: KubeClient;
  readonly nodes: number;
  readonly namePrefix: string;
  /** leaseDurationSeconds is what each Lease declares; renewals come at a quarter of it. */
  readonly leaseDurationSeconds?: number;
  /**
   * nodeClient gives the client a node acts with (its own credential, see
   * core/agent/join.ts); without it every node acts with `client`.
   */
  readonly nodeClient?: (nodeName: string) => Promise<KubeClient>;
  readonly onError?: (message: string) => void;
}

interface SimulatedNode {
  readonly name: string;
  readonly podCIDR: string;
  readonly hostIP: string;
  readonly ips: PodIpPool;
  client: KubeClient;
  /** paused: the node's agent is down (no Lease renewals, its pods left as they are). */
  paused: boolean;
  /** lease is the Lease as this node last wrote it, the base of its next renewal. */
  lease?: KubeObject;
}

type PodObject = KubeObject & {
  spec?: { nodeName?: string; containers?: { name: string; image?: string }[] };
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
};

/**
 * NodeSimulator runs many lightweight simulated nodes in one process: it registers their Node
 * objects, renews their Leases in one loop, and plays the node agent for pods bound to them
 * (they turn Running at once; pods marked for deletion are removed).
 */
export class NodeSimulator {
  readonly #opts: NodeSimulatorOptions;
  readonly #nodes = new Map<string, SimulatedNode>();
  readonly #podIps = new Map<string, string>();
  readonly #inFlight = new Set<string>();
  #informer: Informer<PodObject> | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;

  constructor(opts: NodeSimulatorOptions) {
    if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > 16384) {
      throw new RangeError(
        `the number of nodes must be an integer from 1 to 16384, got ${opts.nodes}`,
      );
    }
    this.#opts = opts;
    for (let i = 0; i < opts.nodes; i++) {
      const name = `${opts.namePrefix}${i + 1}`;
      const { hostIP, podCIDR, podPrefix } = nodeAddresses(i);
      this.#nodes.set(name, {
        name,
        podCIDR,
        hostIP,
        ips: new PodIpPool(podPrefix),
        client: opts.client,
        paused: false,
      });
    }
  }

  /** nodeNames lists the simulated nodes' names. */
  get nodeNames(): string[] {
    return [...this.#nodes.keys()];
  }

  /**
   * start obtains each node's client, registers every node and its Lease, then starts the pod
   * informer and the renew loop.
   */
  async start(): Promise<void> {
    const duration = this.#opts.leaseDurationSeconds ?? 40;
    const specs = [...this.#nodes.values()];
    // Registration goes in small batches so thousands of nodes do not open thousands of sockets.
    for (let i = 0; i < specs.length; i += 32) {
      await Promise.all(
        specs.slice(i, i + 32).map(async (n) => {
          if (this.#opts.nodeClient) n.client = await this.#opts.nodeClient(n.name);
          await this.#createIfMissing(n.client, nodesRef, simNode(n.name, n.podCIDR));
          await this.#postStatus(n);
          await this.#createIfMissing(n.client, leasesRef, simLease(n.name, duration));
        }),
      );
    }
    // One informer over all pods, filtered by the node set: cheaper than one watch per node.
    // Any node may read pods, so the first node's client serves all.
    const reader = specs[0]?.client ?? this.#opts.client;
    this.#informer = new Informer<PodObject>(reader, allPodsRef);
    this.#informer.addHandlers({
      add: (pod) => this.#reconcile(pod),
      update: (_old, pod) => this.#reconcile(pod),
      delete: (pod) => this.#forget(pod),
    });
    this.#informer.start();
    await this.#informer.waitForSync();
    this.#renewTimer = setInterval(
      () => {
        this.#renewing ??= this.#renewLeases().finally(() => {
          this.#renewing = undefined;
        });
      },
      (duration * 1000) / 4,
    );
  }

  /** stop ends the renew loop and the informer; nodes and pods stay, as when a kubelet stops. */
  async stop(): Promise<void> {
    clearInterval(this.#renewTimer);
    await this.#renewing;
    await this.#informer?.stop();
  }

  /**
   * pause stops one node's agent: its Lease is no longer renewed and its pods are left as
   * they are (a pod deleted meanwhile stays Terminating), as when a node drops off the network.
   */
  pause(nodeName: string): void {
    this.#node(nodeName).paused = true;
  }

  /** resume brings a paused node back: it renews its Lease, reports Ready and serves its pods. */
  async resume(nodeName: string): Promise<void> {
    const node = this.#node(nodeName);
    node.paused = false;
    await this.#renew(node);
    await this.#postStatus(node);
    for (const pod of this.#informer?.cache.list() ?? []) this.#reconcile(pod);
  }

  #node(nodeName: string): SimulatedNode {
    const node = this.#nodes.get(nodeName);
    if (node === undefined) throw new RangeError(`${nodeName} is not a simulated node here`);
    return node;
  }

  async #postStatus(n: SimulatedNode): Promise<void> {
    const { cpu, memory, pods } = this.#opts;
    await n.client.patch(
      nodesRef,
      n.name,
      'merge',
      { status: simNodeStatus(n.name, n.hostIP, { cpu, memory, pods }) },
      { subresource: 'status' },
    );
  }

  async #createIfMissing(client: KubeClient, ref: ResourceRef, object: KubeObject): Promise<void> {
    try {
      await client.create(ref, object);
    } catch (err) {
      if (!isSkiffError(err, 'AlreadyExists')) throw err;
    }
  }

  async #renewLeases(): Promise<void> {
    // Real kubelets renew independently of one another, so a slow API server does not slow
    // the renewals down: a few dozen in flight keep every Lease on its interval under load,
    // where one at a time would let them lapse (and would spare the server their writes).
    const due = [...this.#nodes.values()].filter((n) => !n.paused);
    let next = 0;
    const worker = async () => {
      while (next < due.length) await this.#renew(due[next++] as SimulatedNode);
    };
    await Promise.all(Array.from({ length: Math.min(renewConcurrency, due.length) }, worker));
  }

  async #renew(node: SimulatedNode): Promise<void> {
    const duration = this.#opts.leaseDurationSeconds ?? 40;
    const { name } = node;
    // As the kubelet does: PUT the Lease last written with a new renewTime, and read it again
    // only when there is none yet or another writer got in between (one retry).
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const base = node.lease ?? (await node.client.get(leasesRef, name));
        node.lease = await node.client.update(leasesRef, {
          ...base,
          spec: { ...(base.spec as object), renewTime: microTime() },
        });
        return;
      } catch (err) {
        node.lease = undefined;
        if (isSkiffError(err, 'Conflict') && attempt === 0) continue;
        if (isSkiffError(err, 'NotFound')) {
          await this.#createIfMissing(node.client, leasesRef, simLease(name, duration)).catch((e) =>
            this.#report(`lease ${name}: ${message(e)}`),
          );
        } else this.#report(`lease ${name}: ${message(err)}`);
        return;
      }
    }
  }

  #reconcile(pod: PodObject): void {
    const node = this.#nodes.get(pod.spec?.nodeName ?? '');
    const uid = pod.metadata?.uid;
    if (!node || !uid || node.paused || this.#inFlight.has(uid)) return;
    const ip = pod.status?.podIP;
    if (pod.status?.phase === 'Running' && ip && !this.#podIps.has(uid)) {
      // Started by an earlier run of the simulator: keep its address out of the pool.
      node.ips.reserve(ip);
      this.#podIps.set(uid, ip);
    }
    if (pod.metadata?.deletionTimestamp !== undefined) {
      this.#run(uid, () => this.#remove(pod, node));
    } else if (pod.status?.phase !== 'Running' && !this.#podIps.has(uid)) {
      this.#run(uid, () => this.#startPod(pod, node));
    } else if (pod.status?.phase === 'Running' && ip && !isReady(pod)) {
      // Marked not ready while this node was away (the node controller does that): its
      // containers still run, so report them ready again.
      this.#run(uid, () => this.#postRunning(pod, node, ip));
    }
  }

  #run(uid: string, work: () => Promise<void>): void {
    this.#inFlight.add(uid);
    work()
      .catch((err) => this.#report(message(err)))
      .finally(() => this.#inFlight.delete(uid));
  }

  async #startPod(pod: PodObject, node: SimulatedNode): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const ip = node.ips.allocate();
    const { namespace = 'default', name = '' } = pod.metadata ?? {};
    if (ip === undefined) {
      this.#report(`pod ${namespace}/${name}: node ${node.name} has no free pod address`);
      return;
    }
    this.#podIps.set(uid, ip);
    try {
      await this.#postRunning(pod, node, ip);
    } catch (err) {
      this.#podIps.delete(uid);
      node.ips.release(ip);
      if (!isSkiffError(err, 'NotFound')) throw err;
    }
  }

  async #postRunning(pod: PodObject, node: SimulatedNode, ip: string): Promise<void> {
    const { namespace = 'default', name = '' } = pod.metadata ?? {};
    await node.client.patch(
      podsIn(namespace),
      name,
      'merge',
      { status: runningPodStatus(pod, ip, node.hostIP) },
      { subresource: 'status' },
    );
  }

  async #remove(pod: PodObject, node: SimulatedNode): Promise<void> {
    const { namespace = 'default', name = '' } = pod.metadata ?? {};
    try {
      // Nothing runs, so the grace period has nothing to wait for: finish the deletion now.
      await node.client.delete(podsIn(namespace), name, { gracePeriodSeconds: 0 });
    } catch (err) {
      if (!isSkiffError(err, 'NotFound')) throw err;
    }
  }

  #forget(pod: PodObject): void {
    const uid = pod.metadata?.uid ?? '';
    const ip = this.#podIps.get(uid);
    if (ip === undefined) return;
    this.#podIps.delete(uid);
    this.#nodes.get(pod.spec?.nodeName ?? '')?.ips.release(ip);
  }

  #report(text: string): void {
    (this.#opts.onError ?? ((m: string) => process.stderr.write(`skiff sim: ${m}\n`)))(text);
  }
}

/** renewConcurrency is how many Lease renewals the simulator keeps in flight. */
const renewConcurrency = 64;

function isReady(pod: PodObject): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
