import { defineExtensionKind } from './plugin.ts';

/**
 * The service type contract: a service type makes a Service's virtual address or node port
 * reach the ready endpoints behind it, on one node. The node agent calls sync with the full
 * desired set each time something changes; sync converges to it (adds, updates and removes),
 * so calling it twice with the same set changes nothing.
 */

/** ServiceEndpoint is one ready endpoint of a service port: an address and the port it listens on. */
export interface ServiceEndpoint {
  readonly ip: string;
  /** port is the endpoint's own port for this service port (a named targetPort resolves per pod). */
  readonly port: number;
}

/** ServicePort is one port of a service and the ready endpoints it goes to. */
export interface ServicePort {
  readonly name?: string;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly port: number;
  readonly nodePort?: number;
  readonly endpoints: readonly ServiceEndpoint[];
}

/** ServiceRoute is one service with its ready endpoints, as the agent hands it over. */
export interface ServiceRoute {
  readonly namespace: string;
  readonly name: string;
  /** type is the Service spec.type (`ClusterIP`, `NodePort`, `LoadBalancer`). */
  readonly type: string;
  readonly clusterIPs: readonly string[];
  readonly ports: readonly ServicePort[];
  /** loadBalancerIPs are the addresses in status.loadBalancer.ingress, forwarded like the cluster IP. */
  readonly loadBalancerIPs?: readonly string[];
  /** affinitySeconds, when set, keeps a client on one endpoint that long (sessionAffinity ClientIP). */
  readonly affinitySeconds?: number;
}

/** ServiceCapabilities lists the Service types and protocols an implementation handles. */
export interface ServiceCapabilities {
  readonly types: readonly string[];
  readonly protocols: readonly ServicePort['protocol'][];
}

/** ServiceType is what a service plugin provides. */
export interface ServiceType {
  readonly capabilities: ServiceCapabilities;
  sync(routes: readonly ServiceRoute[]): Promise<void>;
  /** close removes everything sync installed on this node. */
  close(): Promise<void>;
}

/** serviceTypeExtension is the extension kind `service-type/<name>`. */
export const serviceTypeExtension = defineExtensionKind<ServiceType>('service-type');
