import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { connectRuntime } from '../../../sdk/runtime/client.ts';
import { buildImages } from '../../../test/fixtures/images/index.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'skiff-up-'));
const running = new Set<ChildProcess>();
// Every `skiff up` here runs inside a network namespace of this test's own, so the bridge its
// containerd's pods get, like everything else of its network, never lands on the host.
const netns = `skiff-up-${randomBytes(4).toString('hex')}`;
execFileSync('ip', ['netns', 'add', netns]);
execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
const inside = [`--net=/run/netns/${netns}`];
afterAll(async () => {
  // On a failure, `skiff up` may still run with its runtime and private containerd: stop them
  // as Ctrl-C would, then kill whatever still names this test's directory.
  for (const child of running) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, running.size > 0 ? 5_000 : 0));
  for (const line of execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n')) {
    const pid = Number(line.trim().split(' ')[0]);
    if (line.includes(scratch) && pid > 0 && pid !== process.pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  rmSync(scratch, { recursive: true, force: true });
  execFileSync('ip', ['netns', 'del', netns]);
});

/** startUp runs `skiff up` and resolves once it prints that the cluster API is ready. */
function startUp(
  dataDir: string,
  extra: string[] = ['--config', join(root, 'test', 'plugins', 'example.yaml')],
) {
  const child = spawn(
    'nsenter',
    // The forwarding has its own tests: this one leaves the namespace's nat table alone.
    [
      ...inside,
      process.execPath,
      join(root, 'core', 'cli', 'skiff.mjs'),
      'up',
      ...extra,
      '--no-service-proxy',
      '--data-dir',
      dataDir,
      '--port',
      '0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((done) =>
    child.once('exit', (code) => {
      running.delete(child);
      done(code);
    }),
  );
  const ready = new Promise<string>((done, fail) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = /export KUBECONFIG=(\S+)/.exec(stdout);
      if (m?.[1]) done(m[1]);
    });
    void exited.then((code) => fail(new Error(`skiff up exited ${code}: ${stdout}${stderr}`)));
  });
  return { child, ready, exited, output: () => stdout };
}

function kubectl(kubeconfig: string, ...args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(
      'nsenter',
      [
        ...inside,
        '/usr/bin/kubectl',
        '--kubeconfig',
        kubeconfig,
        '--cache-dir',
        join(scratch, 'kube-cache'),
        ...args,
      ],
      (err, stdout, stderr) =>
        done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** containerdsUnder lists containerd processes whose command line names the directory. */
function containerdsUnder(dir: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes('containerd') && l.includes(dir));
}

describe('skiff up', { timeout: 180_000 }, () => {
  it('serves kubectl and a private containerd runtime with the air-gapped images, stops on Ctrl-C, and resumes', async () => {
    const dataDir = join(scratch, 'data');
    // An air-gapped node: image tarballs dropped in <data-dir>/images are imported at start.
    const archive = await buildImages(['skiff.local/busybox:1']);
    mkdirSync(join(dataDir, 'images'), { recursive: true });
    copyFileSync(archive.path, join(dataDir, 'images', 'busybox.tar'));
    const first = startUp(dataDir);
    const kubeconfig = await first.ready;
    expect(first.output()).toContain('loaded 2 plugins from cluster config');
    expect(first.output()).toMatch(/runtime skiff-containerd \S+ serving runtime.v1 on unix:\/\//);
    expect(first.output()).toContain('  imported skiff.local/busybox:1');
    expect(first.output()).toContain(
      'scheduler not started: no loaded plugin provides the default binder',
    );
    const runtime = connectRuntime(`unix://${join(dataDir, 'run', 'containerd.sock')}`);
    try {
      const images = await runtime.listImages({});
      expect(images.images.flatMap((i) => i.repoTags)).toContain('skiff.local/busybox:1');
    } finally {
      runtime.close();
    }
    expect(containerdsUnder(dataDir).length).toBeGreaterThan(0);
    // One node agent runs in the process on that runtime: the host is a Ready node that runs pods.
    const node = hostname().toLowerCase();
    expect(first.output()).toContain(`node ${node} is Ready\ncluster ready`.split('\n')[0]);
    const nodes = await kubectl(kubeconfig, 'get', 'nodes', '--no-headers');
    expect(nodes.stdout).toMatch(new RegExp(`^${node}\\s+Ready\\s`, 'm'));
    const run = await kubectl(
      kubeconfig,
      'run',
      'sleeper',
      '--image=skiff.local/busybox:1',
      // this config runs no scheduler: the pod names its node itself
      `--overrides={"spec":{"nodeName":"${node}"}}`,
      '--command',
      '--',
      'sleep',
      '3600',
    );
    expect(run.code, run.stderr).toBe(0);
    let phase = '';
    for (let i = 0; i < 120 && phase !== 'Running'; i++) {
      await new Promise((r) => setTimeout(r, 250));
      phase = (await kubectl(kubeconfig, 'get', 'pod', 'sleeper', '-o', 'jsonpath={.status.phase}'))
        .stdout;
    }
    expect(phase).toBe('Running');
    const created = await kubectl(kubeconfig, 'create', 'namespace', 'kept-across-restarts');
    expect(created).toMatchObject({ code: 0, stdout: 'namespace/kept-across-restarts created\n' });
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('SIGINT: stopping\nstopped\n');
    expect(containerdsUnder(dataDir)).toEqual([]);

    const second = startUp(dataDir);
    const again = await second.ready;
    const got = await kubectl(again, 'get', 'namespace', 'kept-across-restarts', '-o', 'name');
    expect(got).toMatchObject({ code: 0, stdout: 'namespace/kept-across-restarts\n' });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(containerdsUnder(dataDir)).toEqual([]);
  });

  it('starts with the default cluster config, every built-in plugin loaded (what npm start runs)', async () => {
    const up = startUp(join(scratch, 'default'), ['--runtime', 'none']);
    const kubeconfig = await up.ready;
    expect(up.output()).toMatch(/loaded \d+ plugins from the default cluster config/);
    expect(up.output()).toContain('  controllers-workloads ');
    const nodes = await kubectl(kubeconfig, 'get', 'namespaces', '-o', 'name');
    expect(nodes.stdout).toContain('namespace/kube-system');
    // The namespace controller and garbage collector run: a namespace and its content go.
    expect(up.output()).toMatch(/components running: .*garbage-collector/);
    expect((await kubectl(kubeconfig, 'create', 'namespace', 'short-lived')).code).toBe(0);
    const cm = await kubectl(kubeconfig, 'create', 'configmap', 'c', '-n', 'short-lived');
    expect(cm.code, cm.stderr).toBe(0);
    const deleted = await kubectl(kubeconfig, 'delete', 'namespace', 'short-lived');
    expect(deleted).toMatchObject({ code: 0, stdout: 'namespace "short-lived" deleted\n' });
    const after = await kubectl(kubeconfig, 'get', 'namespace', 'short-lived');
    expect(after.stderr).toContain('namespaces "short-lived" not found');
    up.child.kill('SIGINT');
    expect(await up.exited).toBe(0);
  });

  it('runs a Deployment on simulated nodes: scheduler and controllers at work, rollout status done', async () => {
    const dataDir = join(scratch, 'cluster');
    const up = startUp(dataDir, ['--runtime', 'none']);
    const kubeconfig = await up.ready;
    expect(up.output()).toMatch(/scheduler running with \d+ plugins/);
    expect(up.output()).toMatch(/controllers running: .*deployment/);
    expect(up.output()).toMatch(/controllers running: .*replicaset/);
    const url = /API server listening on (\S+)/.exec(up.output())?.[1] ?? '';
    const sim = spawn(
      'nsenter',
      [
        ...inside,
        process.execPath,
        join(root, 'core', 'cli', 'skiff.mjs'),
        'sim',
        '--server',
        url,
        '--token',
        readFileSync(join(dataDir, 'node-token'), 'utf8').trim(),
        '--ca',
        join(dataDir, 'pki', 'ca.crt'),
        '--nodes',
        '2',
      ],
      { stdio: 'ignore' },
    );
    running.add(sim);
    try {
      const created = await kubectl(
        kubeconfig,
        'create',
        'deployment',
        'web',
        '--image=nginx:1.7.9',
        '--replicas=3',
      );
      expect(created).toMatchObject({ code: 0, stdout: 'deployment.apps/web created\n' });
      const rollout = await kubectl(
        kubeconfig,
        'rollout',
        'status',
        'deployment/web',
        '--timeout=90s',
      );
      expect(rollout.stdout).toContain('deployment "web" successfully rolled out');
      const pods = await kubectl(kubeconfig, 'get', 'pods', '-o', 'wide', '--no-headers');
      const rows = pods.stdout.trim().split('\n');
      expect(rows).toHaveLength(3);
      for (const row of rows)
        expect(row).toMatch(/^web-\S+\s+1\/1\s+Running\s+0\s+\S+\s+10\.\S+\s+sim-\d/);
    } finally {
      sim.kill('SIGTERM');
      up.child.kill('SIGINT');
      expect(await up.exited).toBe(0);
    }
  });
});
