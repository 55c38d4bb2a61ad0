import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SkiffError } from '../../sdk/errors.ts';
import type { CniPortMapping } from './port-mappings.ts';

const run = promisify(execFile);

/** PodNetworkOptions configures the pods' bridge network. */
export interface PodNetworkOptions {
  /** bridge is the host bridge the pods' veths attach to. */
  bridge: string;
  /** subnet is the pods' IPv4 range, handed out by host-local. */
  subnet: string;
  /** cniBinDir holds the CNI plugin binaries (Debian's containernetworking-plugins). */
  cniBinDir: string;
  /** ipamDir is where host-local records its allocations. */
  ipamDir: string;
}

/** netnsName is the `ip netns` name of a sandbox's network namespace. */
export function netnsName(sandboxId: string): string {
  return `skiff-${sandboxId.slice(0, 16)}`;
}

/** netnsPath is where `ip netns add` mounts a namespace. */
export function netnsPath(sandboxId: string): string {
  return `/var/run/netns/${netnsName(sandboxId)}`;
}

function gatewayOf(subnet: string): string {
  const [base] = subnet.split('/');
  const octets = (base ?? '').split('.').map(Number);
  octets[3] = (octets[3] ?? 0) + 1;
  return octets.join('.');
}

function pluginConfigs(
  options: PodNetworkOptions,
): { type: string; ifname: string; conf: object }[] {
  const common = { cniVersion: '0.4.0', name: options.bridge };
  return [
    { type: 'loopback', ifname: 'lo', conf: { ...common, type: 'loopback' } },
    {
      type: 'bridge',
      ifname: 'eth0',
      conf: {
        ...common,
        type: 'bridge',
        bridge: options.bridge,
        isGateway: true,
        // No masquerade: no iptables rule is written on the host.
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: options.subnet, gateway: gatewayOf(options.subnet) }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: options.ipamDir,
        },
      },
    },
  ];
}

/**
 * portmapConfig is the chained portmap plugin's config: the mappings arrive through the
 * `portMappings` capability's runtimeConfig, and on ADD the bridge's result as prevResult tells it
 * the pod address. snat stays on so that connections from the host itself (127.0.0.1 included)
 * are masqueraded; portmap then also turns on route_localnet on the host interface that routes to
 * the pod (the bridge), which a DNAT from 127.0.0.1 needs.
 */
function portmapConfig(
  options: PodNetworkOptions,
  mappings: CniPortMapping[],
  prevResult?: object,
): { type: string; ifname: string; conf: object } {
  return {
    type: 'portmap',
    ifname: 'eth0',
    conf: {
      cniVersion: '0.4.0',
      name: options.bridge,
      type: 'portmap',
      capabilities: { portMappings: true },
      snat: true,
      runtimeConfig: { portMappings: mappings },
      ...(prevResult ? { prevResult } : {}),
    },
  };
}

function cni(
  options: PodNetworkOptions,
  command: 'ADD' | 'DEL',
  plugin: { type: string; ifname: string; conf: object },
  sandboxId: string,
): Promise<string> {
  const binary = join(options.cniBinDir, plugin.type);
  if (!existsSync(binary)) {
    return Promise.reject(
      new Error(`${binary} is missing: install the Debian package containernetworking-plugins`),
    );
  }
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [], {
      env: {
        PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        CNI_COMMAND: command,
        CNI_CONTAINERID: sandboxId,
        CNI_NETNS: netnsPath(sandboxId),
        CNI_IFNAME: plugin.ifname,
        CNI_PATH: options.cniBinDir,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`CNI ${plugin.type} ${command} failed (${code}): ${out}${err}`)),
    );
    child.stdin.end(JSON.stringify(plugin.conf));
  });
}

/** createNetns creates the sandbox's (empty) network namespace. */
export async function createNetns(sandboxId: string): Promise<void> {
  try {
    await run('ip', ['netns', 'add', netnsName(sandboxId)]);
  } catch (err) {
    throw new SkiffError(
      'InternalError',
      `cannot create the pod network namespace: ${String(err)}`,
    );
  }
}

/**
 * connectPodNetwork wires a sandbox's namespace with CNI and answers the pod IP: loopback and
 * the bridge's veth with a host-local address (two independent interfaces, so added at the same
 * time, as containerd's CRI adds its networks), then portmap when ports are published, which
 * needs the bridge's result. On failure the caller tears down what was made.
 */
export async function connectPodNetwork(
  options: PodNetworkOptions,
  sandboxId: string,
  mappings: CniPortMapping[] = [],
): Promise<string> {
  try {
    const results = await Promise.all(
      pluginConfigs(options).map(async (plugin) => ({
        plugin,
        result: JSON.parse(await cni(options, 'ADD', plugin, sandboxId)) as {
          ips?: { address: string }[];
        },
      })),
    );
    const bridge = results.find((r) => r.plugin.type === 'bridge')?.result ?? {};
    const ip = bridge.ips?.[0]?.address.split('/')[0] ?? '';
    if (!ip) throw new Error('CNI gave the pod no address');
    if (mappings.length) {
      await cni(options, 'ADD', portmapConfig(options, mappings, bridge), sandboxId);
    }
    return ip;
  } catch (err) {
    throw new SkiffError('InternalError', `cannot set up the pod network: ${String(err)}`);
  }
}

/**
 * tearDownPodNetwork removes the pod's port mappings, releases its address and removes its
 * namespace; absent parts are fine.
 */
export async function tearDownPodNetwork(
  options: PodNetworkOptions,
  sandboxId: string,
  mappings: CniPortMapping[] = [],
): Promise<void> {
  // portmap names its chains after the network and the sandbox id; DEL carries the mappings ADD
  // was given, as the capability convention asks, so that it removes them.
  if (mappings.length) {
    await cni(options, 'DEL', portmapConfig(options, mappings), sandboxId).catch(() => {});
  }
  for (const plugin of pluginConfigs(options).reverse()) {
    await cni(options, 'DEL', plugin, sandboxId).catch(() => {});
  }
  if (existsSync(netnsPath(sandboxId))) {
    await run('ip', ['netns', 'delete', netnsName(sandboxId)]).catch(() => {});
  }
}

/** podNetworkReady tells whether the CNI plugins the network needs are installed. */
export function podNetworkReady(options: PodNetworkOptions): string | undefined {
  for (const p of ['loopback', 'bridge', 'host-local', 'portmap']) {
    if (!existsSync(join(options.cniBinDir, p))) return `${join(options.cniBinDir, p)} is missing`;
  }
  return undefined;
}
