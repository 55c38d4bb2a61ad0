import type { KubeObject } from '../../sdk/api/meta.ts';
import type { KubeClient } from '../../sdk/client/client.ts';
import type { ResourceRef } from '../../sdk/client/resource.ts';
import { isSkiffError } from '../../sdk/errors.ts';
import type { RuntimeClient } from '../../sdk/runtime/client.ts';
import { type MachineFacts, machineFacts, type Pressure, pressure } from './machine.ts';
import { rfc3339 } from './status.ts';

/** nodesRef is the Node collection. */
export const nodesRef: ResourceRef = { group: '', version: 'v1', plural: 'nodes' };
/** nodeLeasesRef is where node heartbeats live. */
export const nodeLeasesRef: ResourceRef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  namespace: 'kube-node-lease',
};

/** agentKubeletVersion is what nodes report as kubeletVersion (the API level skiff speaks). */
export const agentKubeletVersion = 'v1.32.0-skiff';

/** microTime formats now as a Lease's MicroTime (RFC 3339 with microseconds). */
export function microTime(ms = Date.now()): string {
  return new Date(ms).toISOString().replace('Z', '000Z');
}

/** nodeLease is the Lease a node renews in kube-node-lease, owned by its Node when the uid is known. */
export function nodeLease(name: string, durationSeconds: number, nodeUid?: string): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name,
      namespace: 'kube-node-lease',
      ...(nodeUid
        ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: nodeUid }] }
        : {}),
    },
    spec: { holderIdentity: name, leaseDurationSeconds: durationSeconds, renewTime: microTime() },
  } as KubeObject;
}

interface NodeCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastHeartbeatTime: string;
  lastTransitionTime: string;
}

/** nodeConditions are the four conditions a kubelet reports, transition times kept from before. */
export function nodeConditions(
  p: Pressure,
  runtimeProblem: string | undefined,
  previous: readonly NodeCondition[],
  now: string,
): NodeCondition[] {
  const make = (type: string, on: boolean, reason: string, message: string): NodeCondition => {
    const status = on ? 'True' : 'False';
    const prev = previous.find((c) => c.type === type);
    return {
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: now,
      lastTransitionTime: prev?.status === status ? prev.lastTransitionTime : now,
    };
  };
  return [
    p.memory
      ? make(
          'MemoryPressure',
          true,
          'KubeletHasInsufficientMemory',
          'kubelet has insufficient memory available',
        )
      : make(
          'MemoryPressure',
          false,
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
        ),
    p.disk
      ? make('DiskPressure', true, 'KubeletHasDiskPressure', 'kubelet has disk pressure')
      : make('DiskPressure', false, 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    p.pid
      ? make(
          'PIDPressure',
          true,
          'KubeletHasInsufficientPID',
          'kubelet has insufficient PID available',
        )
      : make(
          'PIDPressure',
          false,
          'KubeletHasSufficientPID',
          'kubelet has sufficient PID available',
        ),
    runtimeProblem === undefined
      ? make('Ready', true, 'KubeletReady', 'kubelet is posting ready status')
      : make('Ready', false, 'KubeletNotReady', runtimeProblem),
  ];
}

/** NodeRegistrationOptions say who the node is and where it reports. */
export interface NodeRegistrationOptions {
  client: KubeClient;
  name: string;
  runtime: RuntimeClient;
  /** root is the agent's directory; its filesystem is the node's ephemeral storage. */
  root: string;
  hostIP?: string;
  /** handlers names the runtime handlers besides the default (for RuntimeClass). */
  handlers?: string[];
  leaseDurationSeconds?: number;
  /** heartbeatMs is how often the Lease is renewed and the status written (default 10 s). */
  heartbeatMs?: number;
  onError?: (message: string) => void;
}

/**
 * NodeRegistration keeps the node's API objects: it registers the Node with the machine's
 * capacity and identity, renews its Lease and posts its conditions every heartbeat.
 */
export class NodeRegistration {
  readonly facts: MachineFacts;
  readonly #opts: NodeRegistrationOptions;
  #runtimeVersion = '';
  #conditions: NodeCondition[] = [];
  #daemonPort = 0;
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  #nodeUid: string | undefined;
  #ready = false;
  #readyWaiters: (() => void)[] = [];

  constructor(opts: NodeRegistrationOptions) {
    this.#opts = opts;
    this.facts = machineFacts(opts.root, opts.hostIP);
  }

  /** hostIP is the node's InternalIP. */
  get hostIP(): string {
    return this.facts.hostIP;
  }

  /** allocatable answers the node's allocatable amount of a resource. */
  allocatable(resource: string): string | undefined {
    return (
      {
        cpu: this.facts.cpu,
        memory: this.facts.memory,
        'ephemeral-storage': this.facts.ephemeralStorage,
        pods: '110',
      } as Record<string, string>
    )[resource];
  }

  /** start registers the Node and its Lease, posts the first status and starts the heartbeat. */
  async start(): Promise<void> {
    const v = await this.#opts.runtime.version({ version: 'v1' });
    this.#runtimeVersion = `${v.runtimeName}://${v.runtimeVersion}`;
    const { name, client } = this.#opts;
    let node: KubeObject;
    try {
      node = await client.create(nodesRef, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          labels: {
            'kubernetes.io/hostname': name,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': this.facts.architecture,
            'beta.kubernetes.io/os': 'linux',
            'beta.kubernetes.io/arch': this.facts.architecture,
          },
        },
        spec: {},
      } as KubeObject);
    } catch (err) {
      if (!isSkiffError(err, 'AlreadyExists')) throw err;
      node = await client.get(nodesRef, name);
      this.#conditions =
        (node as { status?: { conditions?: NodeCondition[] } }).status?.conditions ?? [];
    }
    this.#nodeUid = node.metadata?.uid;
    await this.#beat();
    this.#schedule();
  }

  /** setDaemonPort publishes the port of the node's HTTPS endpoint (logs, exec). */
  setDaemonPort(port: number): void {
    this.#daemonPort = port;
  }

  /** waitForReady resolves once the node has posted a Ready condition that is True. */
  waitForReady(): Promise<void> {
    if (this.#ready) return Promise.resolve();
    return new Promise((done) => this.#readyWaiters.push(done));
  }

  /** stop ends the heartbeat; the Node and its Lease stay, as when a kubelet stops. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#beating;
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.#beating = this.#beat()
        .catch((err) => this.#report(err))
        .finally(() => {
          this.#beating = undefined;
          if (this.#timer !== undefined) this.#schedule();
        });
    }, this.#opts.heartbeatMs ?? 10_000);
  }

  async #beat(): Promise<void> {
    await Promise.all([this.#renewLease().catch((e) => this.#report(e)), this.#postStatus()]);
  }

  async #runtimeProblem(): Promise<string | undefined> {
    try {
      const status = await this.#opts.runtime.status({}, { timeoutMs: 5_000 });
      const down = (status.status?.conditions ?? []).filter((c) => !c.status);
      if (down.length === 0) return undefined;
      return `container runtime not ready: ${down.map((c) => `${c.type}=false reason:${c.reason} message:${c.message}`).join(', ')}`;
    } catch (err) {
      return `container runtime is down: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  async #postStatus(): Promise<void> {
    const f = this.facts;
    const problem = await this.#runtimeProblem();
    this.#conditions = nodeConditions(
      pressure(this.#opts.root),
      problem,
      this.#conditions,
      rfc3339(Date.now()),
    );
    const resources = {
      cpu: f.cpu,
      memory: f.memory,
      pods: '110',
      'ephemeral-storage': f.ephemeralStorage,
    };
    await this.#opts.client.patch(
      nodesRef,
      this.#opts.name,
      'merge',
      {
        status: {
          capacity: resources,
          allocatable: resources,
          conditions: this.#conditions,
          addresses: [
            { type: 'InternalIP', address: f.hostIP },
            { type: 'Hostname', address: this.#opts.name },
          ],
          daemonEndpoints: { kubeletEndpoint: { Port: this.#daemonPort } },
          nodeInfo: {
            machineID: f.machineID,
            systemUUID: f.machineID,
            bootID: f.bootID,
            kernelVersion: f.kernelVersion,
            osImage: f.osImage,
            containerRuntimeVersion: this.#runtimeVersion,
            kubeletVersion: agentKubeletVersion,
            kubeProxyVersion: '',
            operatingSystem: 'linux',
            architecture: f.architecture,
          },
          ...(this.#opts.handlers?.length
            ? { runtimeHandlers: this.#opts.handlers.map((name) => ({ name, features: {} })) }
            : {}),
        },
      },
      { subresource: 'status' },
    );
    if (problem === undefined && !this.#ready) {
      this.#ready = true;
      for (const w of this.#readyWaiters.splice(0)) w();
    } else if (problem !== undefined) this.#ready = false;
  }

  async #renewLease(): Promise<void> {
    const { client, name } = this.#opts;
    const duration = this.#opts.leaseDurationSeconds ?? 40;
    try {
      await client.patch(nodeLeasesRef, name, 'merge', {
        spec: { holderIdentity: name, leaseDurationSeconds: duration, renewTime: microTime() },
      });
    } catch (err) {
      if (!isSkiffError(err, 'NotFound')) throw err;
      try {
        await client.create(nodeLeasesRef, nodeLease(name, duration, this.#nodeUid));
      } catch (e) {
        if (!isSkiffError(e, 'AlreadyExists')) throw e;
      }
    }
  }

  #report(err: unknown): void {
    const text = `node ${this.#opts.name}: ${err instanceof Error ? err.message : String(err)}`;
    (this.#opts.onError ?? ((m: string) => process.stderr.write(`skiff agent: ${m}\n`)))(text);
  }
}
