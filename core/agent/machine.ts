import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import {
  arch,
  availableParallelism,
  hostname,
  networkInterfaces,
  release,
  totalmem,
} from 'node:os';

/** MachineFacts are what a node reports about the machine it runs on. */
export interface MachineFacts {
  hostname: string;
  hostIP: string;
  cpu: string;
  memory: string;
  ephemeralStorage: string;
  machineID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  architecture: string;
}

/** Pressure says whether memory, disk or process ids are running short. */
export interface Pressure {
  memory: boolean;
  disk: boolean;
  pid: boolean;
}

function read(path: string, fallback = ''): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

/** firstHostIP is the first non-internal IPv4 address of the machine, or loopback. */
export function firstHostIP(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

const goArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' };

/** nodeArchitecture is the machine's architecture in Kubernetes' (Go's) spelling. */
export const nodeArchitecture = goArch[arch()] ?? arch();

/** machineFacts reads the machine's capacity and identity; storage is the filesystem of root. */
export function machineFacts(root: string, hostIP?: string): MachineFacts {
  const fs = statfsSync(root);
  const osRelease = read('/etc/os-release');
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1] ?? 'Linux';
  return {
    hostname: hostname(),
    hostIP: hostIP ?? firstHostIP(),
    cpu: String(availableParallelism()),
    memory: `${Math.floor(totalmem() / 1024)}Ki`,
    ephemeralStorage: `${Math.floor((fs.blocks * fs.bsize) / 1024)}Ki`,
    machineID: read('/etc/machine-id', hostname()),
    bootID: read('/proc/sys/kernel/random/boot_id'),
    kernelVersion: release(),
    osImage: pretty,
    architecture: nodeArchitecture,
  };
}

/**
 * pressure compares what is left with the kubelet's default hard eviction thresholds:
 * memory.available < 100Mi, nodefs.available < 10%, and process ids past 90% of pid_max.
 */
export function pressure(root: string): Pressure {
  const meminfo = read('/proc/meminfo');
  const availableKi = Number(/^MemAvailable:\s+(\d+)/m.exec(meminfo)?.[1] ?? Number.NaN);
  const fs = statfsSync(root);
  const pidMax = Number(read('/proc/sys/kernel/pid_max', '0'));
  let pids = 0;
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
  } catch {
    // not Linux: no pid pressure to report
  }
  return {
    memory: Number.isFinite(availableKi) && availableKi < 100 * 1024,
    disk: fs.blocks > 0 && fs.bavail / fs.blocks < 0.1,
    pid: pidMax > 0 && pids > pidMax * 0.9,
  };
}
