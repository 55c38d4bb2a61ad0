import { isIP } from 'node:net';
import { SkiffError } from '../../sdk/errors.ts';
import type { RpcRequestReceived } from '../../sdk/runtime/rpcs.ts';

type CriPortMapping = NonNullable<
  RpcRequestReceived<'RunPodSandbox'>['config']
>['portMappings'][number];

/** CniPortMapping is one entry of the CNI `portMappings` capability the portmap plugin reads. */
export interface CniPortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  hostIP?: string;
}

const protocols: Record<string, CniPortMapping['protocol']> = {
  TCP: 'tcp',
  UDP: 'udp',
  SCTP: 'sctp',
};

const validPort = (p: number) => Number.isInteger(p) && p >= 1 && p <= 65535;

/**
 * cniPortMappings turns a sandbox's CRI port mappings into the portmap plugin's form. A mapping
 * without a host port publishes nothing (the kubelet sends those for every declared container
 * port) and is left out; a bad port, protocol or address, or two mappings claiming the same host
 * port, is refused before anything is made.
 */
export function cniPortMappings(mappings: readonly CriPortMapping[]): CniPortMapping[] {
  const out: CniPortMapping[] = [];
  const claimed = new Set<string>();
  for (const m of mappings) {
    if (!m.hostPort) continue;
    const protocol = protocols[String(m.protocol || 'TCP')];
    const what = `port mapping ${m.hostIp ? `${m.hostIp}:` : ''}${m.hostPort}->${m.containerPort}`;
    if (!protocol) {
      throw new SkiffError(
        'Invalid',
        `${what}: protocol ${String(m.protocol)} is not TCP, UDP or SCTP`,
      );
    }
    if (!validPort(m.hostPort) || !validPort(m.containerPort)) {
      throw new SkiffError('Invalid', `${what}: ports must be between 1 and 65535`);
    }
    if (m.hostIp && !isIP(m.hostIp)) {
      throw new SkiffError('Invalid', `${what}: host IP ${m.hostIp} is not an IP address`);
    }
    const key = `${protocol}/${m.hostIp || '*'}/${m.hostPort}`;
    if (claimed.has(key)) {
      throw new SkiffError(
        'Invalid',
        `${what}: host port ${m.hostPort}/${protocol} is mapped twice`,
      );
    }
    claimed.add(key);
    out.push({
      hostPort: m.hostPort,
      containerPort: m.containerPort,
      protocol,
      ...(m.hostIp ? { hostIP: m.hostIp } : {}),
    });
  }
  return out;
}
