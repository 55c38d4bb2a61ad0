import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { parse } from 'yaml';
import { kubectlPath, type SkiffServer, startSkiffServer } from '../e2e/kubectl-harness.ts';
import {
  type NodeFixture,
  type PodSandbox,
  runSandbox,
  startContainer,
  startNodeFixture,
  waitFor,
} from './node-fixture.ts';

// The real kubectl 1.32 against `skiff server`, whose pods/log, exec and attach go to a node
// endpoint over a real Docker runtime: kubectl → API server → node endpoint → runtime.

let server: SkiffServer;
let f: NodeFixture;
let web: PodSandbox;
let firstId: string;

const k = (...args: string[]) => server.kubectl(args);

// Pauses between the streams: the runtime copies stdout and stderr apart, so lines printed
// at once on both may reach the log file in either order.
const firstLife =
  'echo one; sleep 0.2; echo two >&2; sleep 0.2; echo three; while [ ! -f /tmp/go ]; do sleep 0.1; done; echo later';

const pod = (name: string, node: string | undefined, containers: string[]) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
${node === undefined ? '' : `  nodeName: ${node}\n`}  containers:
${containers.map((c) => `  - name: ${c}\n    image: busybox\n`).join('')}`;

async function create(name: string, manifest: string): Promise<void> {
  const path = join(server.daemon.dir, `${name}.yaml`);
  writeFileSync(path, manifest);
  const r = await k('create', '-f', path);
  expect(r.code, r.stderr).toBe(0);
}

beforeAll(async () => {
  server = await startSkiffServer();
  const token = readFileSync(join(server.daemon.dir, 'data', 'node-token'), 'utf8').trim();
  f = await startNodeFixture(token);
  await create('node', 'apiVersion: v1\nkind: Node\nmetadata:\n  name: node-1\n');
  const status = {
    status: {
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: 'node-1' },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: f.server.port } },
    },
  };
  const patched = await k(
    'patch',
    'node',
    'node-1',
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify(status),
  );
  expect(patched.code, patched.stderr).toBe(0);
  await create('web', pod('web', 'node-1', ['main']));
  await create('duo', pod('duo', 'node-1', ['a', 'b']));
  await create('lonely', pod('lonely', undefined, ['main']));
  const uid = (await k('get', 'pod', 'web', '-o', 'jsonpath={.metadata.uid}')).stdout;
  web = await runSandbox(f, 'web', uid);
  firstId = await startContainer(f, web, 'main', 0, firstLife);
});

afterAll(async () => {
  await f?.stop();
  await server?.daemon.stop();
});

describe('kubectl logs through the node endpoint', () => {
  it('kubectl logs prints both streams of the container', async () => {
    const r = await waitFor('three lines', async () => {
      const got = await k('logs', 'web');
      return got.stdout.includes('three') ? got : undefined;
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('one\ntwo\nthree\n');
    const tail = await k('logs', 'web', '--tail=1', '--timestamps');
    expect(tail.stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z three\n$/);
  });

  it('kubectl logs -f shows a later line and exits 0 when the container stops', async () => {
    const child = spawn(
      kubectlPath,
      [
        '--kubeconfig',
        server.kubeconfig,
        '--cache-dir',
        join(server.daemon.dir, 'kc'),
        'logs',
        '-f',
        'web',
      ],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: server.daemon.dir } },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waitFor('the first lines', async () => (out.includes('three\n') ? true : undefined));
      // The container prints its last line and exits once /tmp/go exists.
      const touched = await f.runtime.execSync({
        containerId: firstId,
        cmd: ['touch', '/tmp/go'],
        timeout: 10,
      });
      expect(touched.exitCode).toBe(0);
      expect(await exited, err).toBe(0);
      expect(out).toBe('one\ntwo\nthree\nlater\n');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('kubectl logs --previous reads the attempt before the running one', async () => {
    const none = await k('logs', 'web', '--previous');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(
      'Error from server (BadRequest): previous terminated container "main" in pod "web" not found',
    );
    await startContainer(f, web, 'main', 1, 'echo second life; exec sleep 3600');
    await waitFor('the second attempt', async () =>
      (await k('logs', 'web')).stdout === 'second life\n' ? true : undefined,
    );
    const prev = await k('logs', 'web', '--previous');
    expect(prev.code, prev.stderr).toBe(0);
    expect(prev.stdout).toBe('one\ntwo\nthree\nlater\n');
  });

  it('refuses as Kubernetes does: unknown container, no container named, unscheduled', async () => {
    // kubectl checks the container name itself; the server's own check answers a raw GET.
    const nope = await k('get', '--raw', '/api/v1/namespaces/default/pods/web/log?container=nope');
    expect(nope.code).toBe(1);
    expect(nope.stderr).toContain(
      'Error from server (BadRequest): container nope is not valid for pod web',
    );
    const raw = await k('get', '--raw', '/api/v1/namespaces/default/pods/duo/log');
    expect(raw.code).toBe(1);
    expect(raw.stderr).toContain(
      'Error from server (BadRequest): a container name must be specified for pod duo, choose one of: [a b]',
    );
    const lonely = await k('logs', 'lonely');
    expect(lonely.code, lonely.stderr).toBe(0);
    expect(lonely.stdout).toBe('');
    const missing = await k('logs', 'ghost');
    expect(missing.stderr).toContain('pods "ghost" not found');
  });
});

describe('kubectl exec through the node endpoint', () => {
  it('kubectl exec POD -- echo hi', async () => {
    const r = await k('exec', 'web', '--', 'echo', 'hi');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('hi\n');
  });

  it("kubectl exec exits with the command's exit code", async () => {
    const r = await k('exec', 'web', '--', 'sh', '-c', 'echo bad >&2; exit 3');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('bad\n');
    expect(r.stderr).toContain('command terminated with exit code 3');
  });

  it('kubectl exec -i passes stdin through', async () => {
    const r = await server.kubectl(['exec', '-i', 'web', '--', 'cat'], { input: 'x\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('x\n');
  });

  it('kubectl exec -it gives the command a terminal', async () => {
    const cmd = [
      kubectlPath,
      '--kubeconfig',
      server.kubeconfig,
      '--cache-dir',
      join(server.daemon.dir, 'kc'),
      'exec',
      '-it',
      'web',
      '--',
      'sh',
      '-c',
      'test -t 0 && echo on-a-tty; stty size',
    ].map((a) => `'${a.replace(/'/g, `'\\''`)}'`);
    const r = await new Promise<{ code: number; out: string }>((resolve) => {
      const child = execFile(
        'script',
        ['-qec', cmd.join(' '), '/dev/null'],
        {
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: server.daemon.dir },
          timeout: 60_000,
        },
        (e, stdout) => resolve({ code: e === null ? 0 : Number(e.code ?? 1), out: stdout }),
      );
      child.stdin?.end();
    });
    expect(r.out, r.out).toContain('on-a-tty');
    expect(r.code, r.out).toBe(0);
  });

  it('refuses as Kubernetes does: unscheduled pod, no container running on the node', async () => {
    const lonely = await k('exec', 'lonely', '--', 'true');
    expect(lonely.code).toBe(1);
    expect(lonely.stderr).toContain(
      'Error from server (BadRequest): pod lonely does not have a host assigned',
    );
    const duo = await k('exec', 'duo', '-c', 'a', '--', 'true');
    expect(duo.code).toBe(1);
    expect(duo.stderr).toContain('pod "duo" does not exist');
  });

  it('an exec upgrade needs the admin credential: 401 without one, 403 for the join token', async () => {
    const cfg = parse(readFileSync(server.kubeconfig, 'utf8')) as {
      clusters: { cluster: { server: string } }[];
    };
    const base = (cfg.clusters[0]?.cluster.server ?? '').replace(/^https/, 'wss');
    const url = `${base}/api/v1/namespaces/default/pods/web/exec?command=true&stdout=true`;
    const status = (token: string) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(url, ['v5.channel.k8s.io'], {
          rejectUnauthorized: false,
          headers: { authorization: `Bearer ${token}` },
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('error', reject);
      });
    expect(await status('not-a-token')).toBe(401);
    expect(await status(f.token)).toBe(403);
  });
});
