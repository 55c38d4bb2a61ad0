import type { Container, Probe } from '../core/container.ts';
import type { PodSpec, PodTemplateSpec } from '../core/pod.ts';
import type { Volume } from '../core/volume.ts';

/** defaultFileMode is 0644, the mode Kubernetes gives projected files. */
export const defaultFileMode = 0o644;

/** imagePullPolicyFor picks Always for `:latest` or untagged images, else IfNotPresent. */
export function imagePullPolicyFor(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.lastIndexOf(':');
  if (colon < 0) return 'Always';
  return last.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(p: Probe | undefined): void {
  if (p === undefined) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  if (p.httpGet !== undefined) {
    p.httpGet.path ??= '/';
    p.httpGet.scheme ??= 'HTTP';
  }
}

function defaultContainer(c: Container, hostNetwork: boolean): void {
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  if (c.image !== undefined && c.image !== '') c.imagePullPolicy ??= imagePullPolicyFor(c.image);
  for (const port of c.ports ?? []) {
    port.protocol ??= 'TCP';
    // With the host's network the container port is the host port.
    if (hostNetwork && port.hostPort === undefined) port.hostPort = port.containerPort;
  }
  for (const env of c.env ?? []) {
    const ref = env.valueFrom?.fieldRef;
    if (ref !== undefined) ref.apiVersion ??= 'v1';
  }
  if (c.resources?.limits !== undefined) {
    // Requests default to limits, resource by resource.
    const requests = { ...c.resources.limits, ...(c.resources.requests ?? {}) };
    c.resources.requests = requests;
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  for (const hook of [c.lifecycle?.postStart, c.lifecycle?.preStop]) {
    if (hook?.httpGet !== undefined) {
      hook.httpGet.path ??= '/';
      hook.httpGet.scheme ??= 'HTTP';
    }
  }
}

function defaultVolume(v: Volume): void {
  const sources = Object.keys(v).filter((k) => k !== 'name');
  if (sources.length === 0) v.emptyDir = {};
  if (v.secret !== undefined) v.secret.defaultMode ??= defaultFileMode;
  if (v.configMap !== undefined) v.configMap.defaultMode ??= defaultFileMode;
  if (v.downwardAPI !== undefined) v.downwardAPI.defaultMode ??= defaultFileMode;
  if (v.projected !== undefined) v.projected.defaultMode ??= defaultFileMode;
  if (v.hostPath !== undefined) v.hostPath.type ??= '';
  if (v.ephemeral?.volumeClaimTemplate !== undefined)
    v.ephemeral.volumeClaimTemplate.spec.volumeMode ??= 'Filesystem';
}

/** defaultPodSpecInPlace applies Kubernetes' pod defaults to a spec the caller owns. */
export function defaultPodSpecInPlace(spec: PodSpec): void {
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  spec.enableServiceLinks ??= true;
  if (spec.serviceAccount !== undefined && spec.serviceAccountName === undefined)
    spec.serviceAccountName = spec.serviceAccount;
  const hostNetwork = spec.hostNetwork === true;
  for (const c of spec.containers ?? []) defaultContainer(c, hostNetwork);
  for (const c of spec.initContainers ?? []) defaultContainer(c, hostNetwork);
  for (const v of spec.volumes ?? []) defaultVolume(v);
}

/** defaultTolerationSeconds is how long a pod stays on a not-ready or unreachable node by default. */
export const defaultTolerationSeconds = 300;

const notReadyOrUnreachable = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

/**
 * defaultTolerationsInPlace gives a pod, as Kubernetes' DefaultTolerationSeconds admission does
 * on create, NoExecute tolerations of the not-ready and unreachable taints for 300 s unless a
 * toleration of its own already covers them. Pods only: templates are left as written.
 */
export function defaultTolerationsInPlace(spec: PodSpec): void {
  const own = spec.tolerations ?? [];
  const added = notReadyOrUnreachable
    .filter(
      (key) =>
        !own.some(
          (t) =>
            ((t.key ?? '') === '' || t.key === key) &&
            ((t.effect ?? '') === '' || t.effect === 'NoExecute'),
        ),
    )
    .map((key) => ({
      key,
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: defaultTolerationSeconds,
    }));
  if (added.length > 0) spec.tolerations = [...own, ...added];
}

/** defaultPodTemplateInPlace applies pod defaults to a template's spec, if it has one. */
export function defaultPodTemplateInPlace(template: PodTemplateSpec | undefined): void {
  if (template?.spec !== undefined) defaultPodSpecInPlace(template.spec);
}
