import type { Container } from '../../../sdk/api/core/container.ts';
import type { RuntimeClient } from '../../../sdk/runtime/client.ts';

/** ProbeKind names the three container probes. */
export type ProbeKind = 'liveness' | 'readiness' | 'startup';

/** ProbeTarget is one running container the agent wants probed. */
export interface ProbeTarget {
  podUid: string;
  podName: string;
  namespace: string;
  /** podIP is the host httpGet and tcpSocket probes reach when the probe names none. */
  podIP?: string;
  containerName: string;
  containerId: string;
  /** startedAt is when the container started, in ms since the epoch (initialDelaySeconds counts from it). */
  startedAt: number;
  /** container is the pod spec's container: its probes, and its ports by name. */
  container: Container;
  /** runtime runs exec probes (ExecSync with the probe's timeout). */
  runtime: RuntimeClient;
}

/** RestartDetails carries what the agent needs besides the message to restart a container. */
export interface RestartDetails {
  /** terminationGracePeriodSeconds is the probe's own grace period, when it sets one. */
  terminationGracePeriodSeconds?: number;
}

/** ProbeEvents is how probe results reach the agent. */
export interface ProbeEvents {
  /** changed: a readiness or startup result changed; the agent recomputes pod status. */
  changed(podUid: string): void;
  /** unhealthy: a probe failed (the agent records an Unhealthy event with this message). */
  unhealthy(target: ProbeTarget, kind: ProbeKind, message: string): void;
  /** restart: failureThreshold reached (or startup probe gave up): restart it. */
  restart(
    target: ProbeTarget,
    kind: 'liveness' | 'startup',
    message: string,
    details?: RestartDetails,
  ): void;
  /**
   * warning: a probe passed with a caveat (an HTTP redirect it did not follow); the agent may
   * record a ProbeWarning event with this message.
   */
  warning?(target: ProbeTarget, kind: ProbeKind, message: string): void;
}

/** ProbeState is what the agent reads to fill a container's `ready` and `started`. */
export interface ProbeState {
  ready: boolean;
  started: boolean;
}

/** probeKindTitle is the capitalised kind that starts Kubernetes' probe event messages. */
export const probeKindTitle: Record<ProbeKind, string> = {
  liveness: 'Liveness',
  readiness: 'Readiness',
  startup: 'Startup',
};
