import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcCode } from '../../sdk/errors.ts';
import { connectRuntime, type RuntimeClient } from '../../sdk/runtime/client.ts';
import { type RuntimeServer, serveRuntime } from '../../sdk/runtime/server.ts';
import { buildImages } from '../../test/fixtures/images/index.ts';
import {
  type NativeContainerd,
  startNativeContainerd,
} from '../../test/harness/containerd-native.ts';
import { ContainerdRuntime, containerdOptions } from './adapter.ts';

const busybox = 'skiff.local/busybox:1';
const namespace = 'skiff-portmap';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

const natRules = () => execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' });

/**
 * dropSharedChains removes the top-level chains portmap makes once and never deletes, with the
 * jumps to them, so that the test leaves the host's nat table as it found it.
 */
const dropSharedChains = () => {
  const ipt = (...args: string[]) => {
    try {
      execFileSync('iptables', ['-t', 'nat', ...args], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  };
  ipt('-D', 'PREROUTING', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT');
  ipt('-D', 'OUTPUT', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT');
  ipt(
    '-D',
    'POSTROUTING',
    '-m',
    'comment',
    '--comment',
    'CNI portfwd requiring masquerade',
    '-j',
    'CNI-HOSTPORT-MASQ',
  );
  for (const chain of ['CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-MASQ', 'CNI-HOSTPORT-SETMARK']) {
    ipt('-F', chain);
    ipt('-X', chain);
  }
};

/** get fetches a page, answering the error's text when nothing answers. */
const get = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(3000) }).then(
    async (r) => ({ ok: true, body: await r.text() }),
    (e: unknown) => ({ ok: false, body: String((e as { cause?: unknown }).cause ?? e) }),
  );

describe('runtime-containerd publishes sandbox ports through CNI portmap', () => {
  let containerd: NativeContainerd;
  let dir: string;
  let server: RuntimeServer | undefined;
  let client: RuntimeClient;
  const suffix = Math.random().toString(36).slice(2, 7);
  const bridge = `skpm${suffix}`;
  const subnet = `10.89.${100 + Math.floor(Math.random() * 150)}.0/24`;

  // Another user of portmap on this host keeps its chains; only ones this test made are dropped.
  const sharedChainsBefore = natRules().includes(':CNI-HOSTPORT-DNAT');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-ctrd-portmap-'));
    containerd = await startNativeContainerd();
    const adapter = await ContainerdRuntime.start(
      containerdOptions({ socket: containerd.socket, namespace, dataDir: dir, bridge, subnet }),
    );
    await adapter.importImages((await buildImages([busybox])).path);
    server = await serveRuntime(adapter, { listen: `unix://${join(dir, 'runtime.sock')}` });
    client = connectRuntime(`unix://${join(dir, 'runtime.sock')}`, { timeoutMs: 60_000 });
  });

  afterAll(async () => {
    try {
      if (client) {
        const { items } = await client.listPodSandbox({}).catch(() => ({ items: [] }));
        for (const s of items)
          await client.removePodSandbox({ podSandboxId: s.id }).catch(() => {});
        client.close();
      }
      await server?.close();
    } finally {
      await containerd?.stop();
      try {
        execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
      } catch {
        // never made
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
      if (!sharedChainsBefore && !natRules().includes(':CNI-DN-')) dropSharedChains();
    }
  });

  const config = (name: string, portMappings: object[]) => ({
    metadata: { name, namespace: 'portmap', uid: `uid-${name}`, attempt: 0 },
    hostname: name,
    logDirectory: join(dir, 'logs', name),
    portMappings,
  });

  it('serves a container port on 127.0.0.1:hostPort, and removes the rules with the sandbox', async () => {
    const hostPort = await freePort();
    const sandboxConfig = config('web', [
      { protocol: 'TCP', containerPort: 8080, hostPort, hostIp: '127.0.0.1' },
    ]);
    const { podSandboxId } = await client.runPodSandbox({ config: sandboxConfig });
    const { containerId } = await client.createContainer({
      podSandboxId,
      config: {
        metadata: { name: 'httpd', attempt: 0 },
        image: { image: busybox },
        command: [
          'sh',
          '-c',
          'mkdir -p /www && echo hello-portmap > /www/index.html && exec httpd -f -p 8080 -h /www',
        ],
        logPath: 'httpd.log',
      },
      sandboxConfig,
    });
    await client.startContainer({ containerId });

    const url = `http://127.0.0.1:${hostPort}/index.html`;
    let page = await get(url);
    // httpd binds a moment after the task starts; poll until it answers or a minute passes.
    for (let i = 0; i < 120 && !page.ok; i++) {
      await new Promise((r) => setTimeout(r, 500));
      page = await get(url);
    }
    expect(page).toEqual({ ok: true, body: 'hello-portmap\n' });
    const during = natRules();
    expect(during).toContain(podSandboxId);
    expect(during).toContain(`--dport ${hostPort}`);

    await client.removePodSandbox({ podSandboxId });
    const after = natRules();
    expect(after).not.toContain(podSandboxId);
    expect(after).not.toContain(`--dport ${hostPort}`);
    expect((await get(url)).ok).toBe(false);
    expect(after).not.toContain(':CNI-DN-');
  });

  it('refuses a bad mapping with InvalidArgument and makes nothing', async () => {
    const before = (await client.listPodSandbox({})).items.length;
    const netnsBefore = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    const err = await client
      .runPodSandbox({
        config: config('bad', [{ protocol: 'TCP', containerPort: 80, hostPort: 70000 }]),
      })
      .then(
        () => undefined,
        (e: unknown) => e as { grpcCode?: number; message?: string },
      );
    expect(err?.grpcCode, String(err?.message)).toBe(grpcCode.INVALID_ARGUMENT);
    expect(err?.message).toMatch(/between 1 and 65535/);
    expect((await client.listPodSandbox({})).items.length).toBe(before);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).toBe(netnsBefore);
  });
});
