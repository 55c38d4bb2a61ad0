import type { KubeObject } from '../../sdk/api/meta.ts';
import { SkiffError } from '../../sdk/errors.ts';
import { deepEqual } from './patch/json-value.ts';

// Labels a kubelet may set on its own Node although they sit under kubernetes.io.
const kubeletLabels = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
]);

const inDomain = (domain: string, suffix: string): boolean =>
  domain === suffix || domain.endsWith(`.${suffix}`);

/**
 * nodeForbiddenLabel tells whether a node may not set or remove a label on its own Node: the
 * node-restriction.kubernetes.io domain, and kubernetes.io / k8s.io keys outside the kubelet's
 * own set (which includes every key under kubelet.kubernetes.io and node.kubernetes.io).
 */
export function nodeForbiddenLabel(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return false;
  const domain = key.slice(0, slash);
  if (inDomain(domain, 'node-restriction.kubernetes.io')) return true;
  if (!inDomain(domain, 'kubernetes.io') && !inDomain(domain, 'k8s.io')) return false;
  if (kubeletLabels.has(key)) return false;
  return !inDomain(domain, 'kubelet.kubernetes.io') && !inDomain(domain, 'node.kubernetes.io');
}

const labelsOf = (o: KubeObject | undefined): Record<string, string> =>
  (o?.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {};

const taintsOf = (o: KubeObject): unknown =>
  (o as { spec?: { taints?: unknown[] } }).spec?.taints ?? [];

/**
 * nodeRestriction applies Kubernetes' NodeRestriction admission to a node writing its own Node:
 * on create it may not set forbidden labels; on update it may neither change its taints nor
 * add, change or remove forbidden labels. The answer is a 403 Forbidden, or undefined.
 */
export function nodeRestriction(
  nodeName: string,
  prev: KubeObject | undefined,
  next: KubeObject,
): SkiffError | undefined {
  const refuse = (reason: string) =>
    new SkiffError(
      'Forbidden',
      `nodes ${JSON.stringify(nodeName)} is forbidden: node ${JSON.stringify(nodeName)} ${reason}`,
      { details: { name: nodeName, group: '', kind: 'nodes' } },
    );
  const labels = labelsOf(next);
  if (prev === undefined) {
    const bad = Object.keys(labels).filter(nodeForbiddenLabel).sort();
    return bad.length === 0
      ? undefined
      : refuse(`is not allowed to set the following labels: ${bad.join(', ')}`);
  }
  if (!deepEqual(taintsOf(prev), taintsOf(next))) return refuse('is not allowed to modify taints');
  const old = labelsOf(prev);
  const changed = [...new Set([...Object.keys(old), ...Object.keys(labels)])].filter(
    (k) => old[k] !== labels[k] && nodeForbiddenLabel(k),
  );
  return changed.length === 0
    ? undefined
    : refuse(`is not allowed to modify labels: ${changed.sort().join(', ')}`);
}
