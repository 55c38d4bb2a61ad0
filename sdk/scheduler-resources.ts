import type { Node } from './api/core/node.ts';
import type { Pod } from './api/core/pod.ts';
import { parseQuantity, quantityMillis } from './api/quantity.ts';
import type { NodeInfo, SchedulingNode, SchedulingPod } from './scheduler.ts';

/**
 * Resource arithmetic shared by the scheduling framework and its plugins. Amounts are plain
 * numbers: cpu in millicores, every other resource in its base unit (bytes, pods, devices).
 */

/** ResourceAmounts maps a resource name to an amount (cpu in millicores). */
export type ResourceAmounts = Record<string, number>;

/** defaultMilliCpuRequest is the cpu a container without a request counts as when scoring. */
export const defaultMilliCpuRequest = 100;
/** defaultMemoryRequest is the memory (200 MiB) a container without a request counts as when scoring. */
export const defaultMemoryRequest = 200 * 1024 * 1024;

/** asPod narrows a scheduling pod to the API's Pod, which every pod the framework holds is. */
export function asPod(pod: SchedulingPod): Pod {
  return pod as Pod;
}

/** asNode narrows a scheduling node to the API's Node. */
export function asNode(node: SchedulingNode): Node {
  return node as Node;
}

/** resourceAmount reads one quantity as a number in the unit this module uses for the resource. */
export function resourceAmount(resource: string, value: string | number): number {
  const parsed = parseQuantity(value);
  if (!parsed.ok) return 0;
  const millis = Number(quantityMillis(parsed.quantity));
  return resource === 'cpu' ? millis : Math.ceil(millis / 1000);
}

/** resourceList converts a `{cpu: "500m", memory: "1Gi"}` map into amounts. */
export function resourceList(
  list: Readonly<Record<string, string | number>> | undefined,
): ResourceAmounts {
  const out: ResourceAmounts = {};
  for (const [name, value] of Object.entries(list ?? {})) out[name] = resourceAmount(name, value);
  return out;
}

function addInto(into: ResourceAmounts, add: ResourceAmounts): void {
  for (const [k, v] of Object.entries(add)) into[k] = (into[k] ?? 0) + v;
}

function maxInto(into: ResourceAmounts, other: ResourceAmounts): void {
  for (const [k, v] of Object.entries(other)) into[k] = Math.max(into[k] ?? 0, v);
}

const requestCache = new WeakMap<object, ResourceAmounts>();
// The same pod is asked about once per node in a cycle: remember the last one before the map.
let lastPod: object | undefined;
let lastRequests: ResourceAmounts = {};

/**
 * podRequests is what a pod asks of a node, as Kubernetes counts it: the larger of the sum of
 * the app containers and the largest init container, plus the pod overhead. Cached per object.
 */
export function podRequests(pod: SchedulingPod): ResourceAmounts {
  if (pod === lastPod) return lastRequests;
  const cached = requestCache.get(pod);
  if (cached !== undefined) {
    lastPod = pod;
    lastRequests = cached;
    return cached;
  }
  const spec = asPod(pod).spec;
  const sum: ResourceAmounts = {};
  for (const c of spec?.containers ?? []) addInto(sum, resourceList(c.resources?.requests));
  for (const c of spec?.initContainers ?? []) maxInto(sum, resourceList(c.resources?.requests));
  addInto(sum, resourceList(spec?.overhead));
  requestCache.set(pod, sum);
  lastPod = pod;
  lastRequests = sum;
  return sum;
}

/**
 * podScoringRequests is podRequests with the defaults scoring uses for containers that request
 * no cpu or memory (100m, 200Mi), so empty pods still spread out.
 */
export function podScoringRequests(pod: SchedulingPod): { cpu: number; memory: number } {
  const cached = scoringCache.get(pod);
  if (cached !== undefined) return cached;
  const spec = asPod(pod).spec;
  let cpu = 0;
  let memory = 0;
  for (const c of spec?.containers ?? []) {
    const req = c.resources?.requests ?? {};
    cpu += req.cpu === undefined ? defaultMilliCpuRequest : resourceAmount('cpu', req.cpu);
    memory +=
      req.memory === undefined ? defaultMemoryRequest : resourceAmount('memory', req.memory);
  }
  const out = { cpu, memory };
  scoringCache.set(pod, out);
  return out;
}

const scoringCache = new WeakMap<object, { cpu: number; memory: number }>();

/** nodeAllocatable is what the node offers to pods (status.allocatable, else capacity). */
export function nodeAllocatable(node: SchedulingNode): Readonly<ResourceAmounts> {
  const cached = requestCache.get(node);
  if (cached !== undefined) return cached;
  const status = asNode(node).status;
  const out = resourceList(status?.allocatable ?? status?.capacity);
  requestCache.set(node, out);
  return out;
}

/** allocatableOf is a NodeInfo's allocatable, from the framework's copy when present. */
export function allocatableOf(info: NodeInfo): Readonly<ResourceAmounts> {
  return info.allocatable ?? nodeAllocatable(info.node);
}

/** nonZeroRequestedOf is the cpu and memory the node's pods count for when scoring. */
export function nonZeroRequestedOf(info: NodeInfo): { cpu: number; memory: number } {
  if (info.nonZeroRequested !== undefined) return info.nonZeroRequested;
  let cpu = 0;
  let memory = 0;
  for (const p of info.pods) {
    const r = podScoringRequests(p);
    cpu += r.cpu;
    memory += r.memory;
  }
  return { cpu, memory };
}

/** nodeRequested is what the pods on a node request, from the framework's sum when present. */
export function nodeRequested(info: NodeInfo): Readonly<ResourceAmounts> {
  if (info.requested !== undefined) return info.requested;
  const sum: ResourceAmounts = {};
  for (const p of info.pods) addInto(sum, podRequests(p));
  return sum;
}

/** podHostPorts lists the host ports a pod asks for, as `protocol/hostIP/port`. */
export function podHostPorts(pod: SchedulingPod): string[] {
  const out: string[] = [];
  for (const c of asPod(pod).spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.hostPort === undefined || p.hostPort <= 0) continue;
      out.push(`${p.protocol ?? 'TCP'}/${p.hostIP ?? '0.0.0.0'}/${p.hostPort}`);
    }
  }
  return out;
}

/** portsConflict tells whether a wanted `protocol/hostIP/port` clashes with a used one. */
export function portsConflict(wanted: string, used: ReadonlySet<string>): boolean {
  if (used.has(wanted)) return true;
  const [protocol, ip, port] = wanted.split('/');
  // 0.0.0.0 takes the port on every address, so it clashes with any address and vice versa.
  if (ip === '0.0.0.0') {
    for (const u of used) {
      const [up, , uport] = u.split('/');
      if (up === protocol && uport === port) return true;
    }
    return false;
  }
  return used.has(`${protocol}/0.0.0.0/${port}`);
}
