import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Pod, PodStatus } from '../../sdk/api/core/pod.ts';
import type { KubeClient } from '../../sdk/client/client.ts';
import type { ResourceRef } from '../../sdk/client/resource.ts';
import { Informer } from '../../sdk/controller/informer.ts';
import { isSkiffError } from '../../sdk/errors.ts';
import type { RuntimeClient } from '../../sdk/runtime/client.ts';
import { RestartBackoff } from './backoff.ts';
import type { EnvLookup } from './env.ts';
import { containerFieldPath, EventRecorder } from './events.ts';
import { NodeRegistration } from './node.ts';
import type { PodRuntime } from './observe.ts';
import { type ProbeTracker, syncPod, type WorkerContext } from './pod-worker.ts';
import type { ProbeEvents } from './probes/types.ts';
import { runtimeObjectsByPod, stopAllSandboxes } from './relist.ts';
import { type DnsSettings, podLabel } from './runtime-objects.ts';
import { removeSandboxes, stopOne, terminatePod } from './terminate.ts';

const podsRef: ResourceRef = { group: '', version: 'v1', plural: 'pods' };
const podsIn = (namespace: string): ResourceRef => ({ ...podsRef, namespace });

/** NodeAgentOptions configure one node agent. */
export interface NodeAgentOptions {
  client: KubeClient;
  nodeName: string;
  /** root holds the pods' log directories (`<root>/pods/...`). */
  root: string;
  /** runtime serves the default runtime handler. */
  runtime: RuntimeClient;
  /** handlers are more runtimes, by RuntimeClass handler name. */
  handlers?: ReadonlyMap<string, RuntimeClient>;
  hostIP?: string;
  dns?: DnsSettings;
  heartbeatMs?: number;
  /** relistMs is how often the runtimes are listed for changes (default 1 s), as the kubelet's PLEG. */
  relistMs?: number;
  /** probes makes the probe manager, given where to report. */
  probes?: (events: ProbeEvents) => ProbeTracker & { close(): void };
  onError?: (message: string) => void;
}

interface PodWork {
  running?: Promise<void>;
  dirty: boolean;
  timer?: NodeJS.Timeout;
}

/** canonical is JSON with sorted keys, to compare statuses whatever order the server keeps. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
      : x,
  );
}

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * NodeAgent is skiff's kubelet: it registers the node, follows the pods bound to it and drives
 * the runtimes so each pod's containers match its spec, one serialized worker per pod; it
 * reports pod status and events, and adopts what an earlier run of it left running.
 */
export class NodeAgent {
  readonly node: NodeRegistration;
  readonly #opts: NodeAgentOptions;
  readonly #informer: Informer<Pod & { metadata: NonNullable<Pod['metadata']> }>;
  readonly #pods = new Map<string, Pod>();
  readonly #work = new Map<string, PodWork>();
  readonly #written = new Map<string, string>();
  readonly #runtimes = new Map<string, PodRuntime>();
  readonly #seen = new Map<string, string>();
  readonly #handlerOf = new Map<string, string>();
  readonly #backoff = new RestartBackoff();
  readonly #events: EventRecorder;
  #probes: (ProbeTracker & { close(): void }) | undefined;
  #ctx: WorkerContext | undefined;
  #relist: NodeJS.Timeout | undefined;
  #relisting: Promise<void> | undefined;
  #stopped = false;

  constructor(opts: NodeAgentOptions) {
    this.#opts = opts;
    mkdirSync(opts.root, { recursive: true });
    this.node = new NodeRegistration({
      client: opts.client,
      name: opts.nodeName,
      runtime: opts.runtime,
      root: opts.root,
      hostIP: opts.hostIP,
      handlers: [...(opts.handlers?.keys() ?? [])],
      heartbeatMs: opts.heartbeatMs,
      onError: (m) => this.#report(m),
    });
    this.#events = new EventRecorder(opts.client, opts.nodeName, (m) => this.#report(m));
    this.#informer = new Informer(opts.client, podsRef, {
      fieldSelector: `spec.nodeName=${opts.nodeName}`,
    });
    this.#informer.addHandlers({
      add: (pod) => this.#upsert(pod),
      update: (_old, pod) => this.#upsert(pod),
      delete: (pod) => {
        const uid = pod.metadata.uid ?? '';
        this.#pods.delete(uid);
        this.#enqueue(uid);
      },
    });
  }

  /** start registers the node, connects the runtimes, then follows and runs the node's pods. */
  async start(): Promise<void> {
    const handlers: [string, RuntimeClient][] = [
      ['', this.#opts.runtime],
      ...(this.#opts.handlers ?? []),
    ];
    for (const [handler, client] of handlers) {
      const v = await client.version({ version: 'v1' });
      this.#runtimes.set(handler, { client, name: v.runtimeName, handler });
    }
    await this.node.start();
    this.#probes = this.#opts.probes?.({
      changed: (uid) => this.#enqueue(uid),
      unhealthy: (t, _kind, message) => {
        const pod = this.#pods.get(t.podUid);
        if (pod)
          this.#events.record(
            pod,
            'Warning',
            'Unhealthy',
            message,
            containerFieldPath(t.containerName),
          );
      },
      restart: (t, kind) =>
        void this.#restartContainer(t.podUid, t.containerName, t.containerId, kind),
    });
    const env: EnvLookup = {
      configMap: (ns, name) => this.#data(ns, 'configmaps', name, false),
      secret: (ns, name) => this.#data(ns, 'secrets', name, true),
      allocatable: (r) => this.node.allocatable(r),
    };
    this.#ctx = {
      root: this.#opts.root,
      hostIP: this.node.hostIP,
      dns: this.#opts.dns ?? { clusterDNS: [], clusterDomain: 'cluster.local' },
      events: this.#events,
      backoff: this.#backoff,
      env,
      probes: this.#probes,
      specHash: (pod) =>
        createHash('sha256').update(canonical(pod.spec)).digest('hex').slice(0, 16),
    };
    this.#informer.start();
    await this.#informer.waitForSync();
    await this.#relistOnce();
    this.#scheduleRelist();
  }

  /** stop ends the informer, the relist loop and the heartbeat; containers keep running. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#relist);
    await this.#relisting;
    await this.#informer.stop();
    for (const w of this.#work.values()) clearTimeout(w.timer);
    await Promise.all([...this.#work.values()].map((w) => w.running));
    this.#probes?.close();
    await this.node.stop();
    await this.#events.flush();
  }

  /**
   * stopPods stops every pod's containers and sandbox on this node, each within its grace
   * period capped at capSeconds, as a node shutting down does; they start again on the next run.
   */
  async stopPods(capSeconds = 10): Promise<void> {
    const grace = (uid: string) =>
      Math.min(capSeconds, this.#pods.get(uid)?.spec?.terminationGracePeriodSeconds ?? 30);
    await Promise.all([...this.#runtimes.values()].map((rt) => stopAllSandboxes(rt, grace)));
  }

  /** findPod names the pod's uid and runtime handler, for the node endpoint (logs, exec). */
  findPod(namespace: string, name: string): { uid: string; runtimeHandler: string } | undefined {
    for (const [uid, pod] of this.#pods) {
      if (pod.metadata?.namespace === namespace && pod.metadata?.name === name)
        return { uid, runtimeHandler: this.#handlerOf.get(uid) ?? '' };
    }
    return undefined;
  }

  /** runtimeClient is the runtime serving a handler ('' for the default). */
  runtimeClient(handler: string): RuntimeClient | undefined {
    if (handler === '') return this.#opts.runtime;
    return this.#opts.handlers?.get(handler);
  }

  #upsert(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    this.#pods.set(uid, pod);
    this.#enqueue(uid);
  }

  async #data(ns: string, plural: string, name: string, base64: boolean) {
    try {
      const obj = (await this.#opts.client.get(
        { group: '', version: 'v1', plural, namespace: ns },
        name,
      )) as {
        data?: Record<string, string>;
        binaryData?: Record<string, string>;
      };
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(obj.data ?? {}))
        out[k] = base64 ? Buffer.from(v, 'base64').toString('utf8') : v;
      for (const [k, v] of Object.entries(obj.binaryData ?? {}))
        out[k] = Buffer.from(v, 'base64').toString('utf8');
      return out;
    } catch (err) {
      if (isSkiffError(err, 'NotFound')) return undefined;
      throw err;
    }
  }

  #enqueue(uid: string, afterMs = 0): void {
    if (this.#stopped || uid === '') return;
    let w = this.#work.get(uid);
    if (!w) {
      w = { dirty: false };
      this.#work.set(uid, w);
    }
    const work = w;
    if (afterMs > 0) {
      clearTimeout(work.timer);
      work.timer = setTimeout(() => {
        work.timer = undefined;
        this.#enqueue(uid);
      }, afterMs);
      return;
    }
    if (work.running) {
      work.dirty = true;
      return;
    }
    work.dirty = false;
    work.running = this.#sync(uid)
      .catch((err) => {
        this.#report(`pod ${this.#describe(uid)}: ${errText(err)}`);
        this.#enqueue(uid, 2_000);
      })
      .finally(() => {
        work.running = undefined;
        if (work.dirty) this.#enqueue(uid);
        else if (!work.timer && !this.#pods.has(uid)) this.#work.delete(uid);
      });
  }

  #describe(uid: string): string {
    const m = this.#pods.get(uid)?.metadata;
    return m ? `${m.namespace}/${m.name}` : uid;
  }

  async #runtimeFor(pod: Pod): Promise<PodRuntime | string> {
    const className = pod.spec?.runtimeClassName;
    if (!className) return this.#runtimes.get('') as PodRuntime;
    let handler: string;
    try {
      const rc = (await this.#opts.client.get(
        { group: 'node.k8s.io', version: 'v1', plural: 'runtimeclasses' },
        className,
      )) as { handler?: string };
      handler = rc.handler ?? '';
    } catch (err) {
      return isSkiffError(err, 'NotFound') ? `RuntimeClass "${className}" not found` : errText(err);
    }
    const rt =
      this.#runtimes.get(handler) ??
      (handler === 'runc' || handler === 'default' ? this.#runtimes.get('') : undefined);
    return rt ?? `no runtime handler "${handler}" is configured on node ${this.#opts.nodeName}`;
  }

  async #sync(uid: string): Promise<void> {
    const pod = this.#pods.get(uid);
    const ctx = this.#ctx;
    if (!ctx) return;
    if (!pod) {
      await this.#cleanup(uid);
      return;
    }
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
      if (pod.metadata?.deletionTimestamp) await this.#finishDeletion(pod);
      return;
    }
    const rt = await this.#runtimeFor(pod);
    if (typeof rt !== 'string') this.#handlerOf.set(uid, rt.handler);
    if (typeof rt === 'string') {
      this.#events.record(
        pod,
        'Warning',
        'FailedCreatePodSandBox',
        `Failed to create pod sandbox: ${rt}`,
      );
      this.#enqueue(uid, 30_000);
      return;
    }
    if (pod.metadata?.deletionTimestamp) {
      this.#probes?.untrackPod(uid);
      await terminatePod(rt, pod, this.#events);
      await this.#finishDeletion(pod);
      return;
    }
    const result = await syncPod(rt, pod, ctx);
    if (result.status) await this.#writeStatus(pod, result.status);
    if (result.requeueAfterMs !== undefined) this.#enqueue(uid, result.requeueAfterMs);
  }

  async #finishDeletion(pod: Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    await this.#cleanup(uid);
    try {
      // What removes the pod from the API, as the kubelet does once its containers are gone.
      await this.#opts.client.delete(
        podsIn(pod.metadata?.namespace ?? 'default'),
        pod.metadata?.name ?? '',
        {
          gracePeriodSeconds: 0,
        },
      );
    } catch (err) {
      // A pod already removed (by an earlier pass) is NotFound, or Forbidden for a node, whose
      // rights follow the pods still bound to it.
      if (!isSkiffError(err, 'NotFound') && !isSkiffError(err, 'Forbidden')) throw err;
    }
  }

  /** cleanup removes every runtime object of a pod that is gone (or going) from this node. */
  async #cleanup(uid: string): Promise<void> {
    this.#probes?.untrackPod(uid);
    this.#backoff.forget(`${uid}/`);
    this.#written.delete(uid);
    this.#handlerOf.delete(uid);
    for (const rt of this.#runtimes.values()) {
      const selector = { [podLabel.uid]: uid };
      const sandboxes = await rt.client.listPodSandbox({ filter: { labelSelector: selector } });
      await removeSandboxes(
        rt,
        sandboxes.items.map((s) => s.id),
      );
      const left = await rt.client.listContainers({ filter: { labelSelector: selector } });
      for (const c of left.containers) await rt.client.removeContainer({ containerId: c.id });
    }
  }

  async #writeStatus(pod: Pod, status: PodStatus): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const text = canonical(status);
    if (this.#written.get(uid) === text || canonical(pod.status) === text) {
      this.#written.set(uid, text);
      return;
    }
    const patch: Record<string, unknown> = { ...status };
    for (const k of ['podIP', 'podIPs', 'initContainerStatuses', 'message', 'reason'])
      if (!(k in status) && pod.status && k in pod.status) patch[k] = null;
    try {
      await this.#opts.client.patch(
        podsIn(pod.metadata?.namespace ?? 'default'),
        pod.metadata?.name ?? '',
        'merge',
        { metadata: { uid }, status: patch },
        { subresource: 'status' },
      );
      this.#written.set(uid, text);
    } catch (err) {
      if (!isSkiffError(err, 'NotFound') && !isSkiffError(err, 'Conflict')) throw err;
    }
  }

  async #restartContainer(uid: string, name: string, containerId: string, kind: string) {
    const pod = this.#pods.get(uid);
    const rt = pod ? await this.#runtimeFor(pod) : undefined;
    if (!pod || !rt || typeof rt === 'string') return;
    const spec = pod.spec?.containers.find((c) => c.name === name);
    const grace = pod.spec?.terminationGracePeriodSeconds ?? 30;
    try {
      this.#probes?.untrack(containerId);
      await stopOne(
        rt,
        pod,
        spec,
        containerId,
        pod.status?.podIP,
        grace,
        this.#events,
        `Container ${name} failed ${kind} probe, will be restarted`,
      );
    } catch (err) {
      this.#report(`restart of ${name} in pod ${this.#describe(uid)}: ${errText(err)}`);
    }
    this.#enqueue(uid);
  }

  #scheduleRelist(): void {
    if (this.#stopped) return;
    this.#relist = setTimeout(() => {
      this.#relisting = this.#relistOnce()
        .catch((err) => this.#report(`relist: ${errText(err)}`))
        .finally(() => {
          this.#relisting = undefined;
          this.#scheduleRelist();
        });
    }, this.#opts.relistMs ?? 1_000);
  }

  /** relistOnce lists every runtime's pod objects and wakes the workers of pods that changed. */
  async #relistOnce(): Promise<void> {
    const now = await runtimeObjectsByPod([...this.#runtimes.values()]);
    for (const [uid, parts] of now) {
      const sig = parts.sort().join(',');
      // Objects of pods no longer bound here are cleaned up by their worker.
      if (this.#seen.get(uid) !== sig || !this.#pods.has(uid)) this.#enqueue(uid);
      this.#seen.set(uid, sig);
    }
    for (const uid of this.#seen.keys()) if (!now.has(uid)) this.#seen.delete(uid);
  }

  #report(text: string): void {
    (this.#opts.onError ?? ((m: string) => process.stderr.write(`skiff agent: ${m}\n`)))(text);
  }
}
