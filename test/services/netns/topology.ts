// A small node built from network namespaces: a "node" namespace with a bridge, endpoint
// namespaces on that bridge each serving HTTP with busybox httpd, and a client namespace
// reaching the node over its own link. Nothing is placed in the host's own namespace.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ServiceRoute } from '../../../sdk/index.ts';

const run = promisify(execFile);

/** sh runs a command and returns its stdout, failing with its stderr. */
export async function sh(cmd: string, args: string[]): Promise<string> {
  try {
    return (await run(cmd, args, { timeout: 20_000 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${e.stderr?.trim() || e.message}`);
  }
}

/** Endpoint is one endpoint namespace with its address and HTTP port. */
export interface Endpoint {
  readonly ns: string;
  readonly ip: string;
  readonly port: number;
  readonly name: string;
}

/** Topology is the set of namespaces a test made; destroy removes all of them. */
export interface Topology {
  readonly node: string;
  readonly client: string;
  readonly nodeIP: string;
  readonly endpoints: readonly Endpoint[];
  /** get fetches a URL from inside a namespace with curl; the body, or `FAIL`. */
  get(ns: string, url: string): Promise<string>;
  destroy(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** makeTopology builds the namespaces; endpoints listen on the given ports. */
export async function makeTopology(ports: readonly number[]): Promise<Topology> {
  for (const tool of ['ip', 'busybox', 'curl', 'iptables-save', 'iptables-restore'])
    await sh('sh', ['-c', `command -v ${tool}`]).catch(() => {
      throw new Error(
        `${tool} is needed for the service forwarding tests (Debian: iproute2, busybox-static, curl, iptables)`,
      );
    });
  const id = `${process.pid % 100000}${Math.floor(Math.random() * 1000)}`;
  const node = `skn-${id}`;
  const client = `skc-${id}`;
  const made: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'skiff-netns-'));
  const endpoints: Endpoint[] = ports.map((port, i) => ({
    ns: `ske${i + 1}-${id}`,
    ip: `10.244.0.${11 + i}`,
    port,
    name: `ep${i + 1}`,
  }));
  const destroy = async () => {
    for (const c of children) c.kill('SIGKILL');
    children.clear();
    for (const ns of made.reverse()) await sh('ip', ['netns', 'del', ns]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const ns of [node, client, ...endpoints.map((e) => e.ns)]) {
      await sh('ip', ['netns', 'add', ns]);
      made.push(ns);
      await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    await sh('ip', ['-n', node, 'link', 'add', 'br0', 'type', 'bridge']);
    await sh('ip', ['-n', node, 'addr', 'add', '10.244.0.1/24', 'dev', 'br0']);
    await sh('ip', ['-n', node, 'link', 'set', 'br0', 'up']);
    // Host-originated traffic to a cluster IP needs a route before the nat OUTPUT hook sees it.
    await sh('ip', ['-n', node, 'route', 'add', '10.43.0.0/16', 'dev', 'br0']);
    await sh('ip', ['netns', 'exec', node, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    for (const [i, ep] of endpoints.entries()) {
      const veth = `veth${i}`;
      await sh('ip', [
        '-n',
        node,
        'link',
        'add',
        veth,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        ep.ns,
      ]);
      await sh('ip', ['-n', node, 'link', 'set', veth, 'master', 'br0', 'up']);
      await sh('ip', ['-n', ep.ns, 'addr', 'add', `${ep.ip}/24`, 'dev', 'eth0']);
      await sh('ip', ['-n', ep.ns, 'link', 'set', 'eth0', 'up']);
      await sh('ip', ['-n', ep.ns, 'route', 'add', 'default', 'via', '10.244.0.1']);
      const www = join(dir, ep.name);
      mkdirSync(www);
      writeFileSync(join(www, 'index.html'), ep.name);
      const httpd = spawn(
        'ip',
        ['netns', 'exec', ep.ns, 'busybox', 'httpd', '-f', '-p', String(ep.port), '-h', www],
        { stdio: 'ignore' },
      );
      children.add(httpd);
    }
    await sh('ip', [
      '-n',
      node,
      'link',
      'add',
      'vc',
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      client,
    ]);
    await sh('ip', ['-n', node, 'addr', 'add', '192.168.77.1/24', 'dev', 'vc']);
    await sh('ip', ['-n', node, 'link', 'set', 'vc', 'up']);
    await sh('ip', ['-n', client, 'addr', 'add', '192.168.77.2/24', 'dev', 'eth0']);
    await sh('ip', ['-n', client, 'link', 'set', 'eth0', 'up']);
    await sh('ip', ['-n', client, 'route', 'add', 'default', 'via', '192.168.77.1']);
  } catch (err) {
    await destroy();
    throw err;
  }
  const get = async (ns: string, url: string) => {
    try {
      return await sh('ip', ['netns', 'exec', ns, 'curl', '-sf', '--noproxy', '*', '-m', '3', url]);
    } catch {
      return 'FAIL';
    }
  };
  for (const ep of endpoints) {
    const deadline = Date.now() + 10_000;
    while ((await get(node, `http://${ep.ip}:${ep.port}/`)) !== ep.name) {
      if (Date.now() > deadline) {
        await destroy();
        throw new Error(`busybox httpd in ${ep.ns} did not answer on ${ep.ip}:${ep.port}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { node, client, nodeIP: '192.168.77.1', endpoints, get, destroy };
}

/** ProxyChild is the iptables service type running in a namespace, driven over stdin. */
export interface ProxyChild {
  sync(routes: readonly ServiceRoute[]): Promise<void>;
  close(): Promise<void>;
  stop(): Promise<void>;
}

const childScript = fileURLToPath(new URL('./iptables-child.ts', import.meta.url));

/** startProxyChild runs the iptables service type in the namespace `ns`. */
export function startProxyChild(ns: string): ProxyChild {
  const child = spawn(
    'ip',
    ['netns', 'exec', ns, process.execPath, '--import', 'tsx', childScript],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  children.add(child);
  const answers = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const ask = async (cmd: object) => {
    child.stdin!.write(`${JSON.stringify(cmd)}\n`);
    const { value, done } = await answers.next();
    if (done) throw new Error('the iptables child exited');
    if (value !== 'ok') throw new Error(String(value));
  };
  return {
    sync: (routes) => ask({ op: 'sync', routes }),
    close: () => ask({ op: 'close' }),
    async stop() {
      child.stdin!.end();
      await new Promise((r) => child.once('exit', r));
      children.delete(child);
    },
  };
}

/** natTable is `iptables-save -t nat` (or another table) of a namespace without comments and counters. */
export async function natTable(ns: string, table = 'nat'): Promise<string> {
  const out = await sh('ip', ['netns', 'exec', ns, 'iptables-save', '-t', table]);
  return out
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/ \[\d+:\d+\]$/, ''))
    .join('\n');
}

/**
 * connectError opens a TCP connection from inside a namespace and says how it failed
 * ('refused', 'timeout', another error's text) or 'connected'.
 */
export async function connectError(ns: string, ip: string, port: number): Promise<string> {
  // A tiny Node client: busybox nc cannot just connect and report why it could not.
  const probe = `require('net').connect(${port}, '${ip}')
    .on('connect', () => { console.log('connected'); process.exit(0); })
    .on('error', (e) => { console.log(e.code === 'ECONNREFUSED' ? 'refused' : e.code); process.exit(0); })
    .setTimeout(3000, () => { console.log('timeout'); process.exit(0); });`;
  return (await sh('ip', ['netns', 'exec', ns, process.execPath, '-e', probe])).trim();
}
