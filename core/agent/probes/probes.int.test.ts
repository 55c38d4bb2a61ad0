import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container } from '../../../sdk/api/core/container.ts';
import { ManualTimers } from '../../../sdk/controller/manual-timers.ts';
import { connectRuntime, type RuntimeClient } from '../../../sdk/runtime/client.ts';
import { buildImages } from '../../../test/fixtures/images/index.ts';
import {
  type Dockerd,
  type DockerRuntimeProcess,
  freePodSubnet,
  startDockerd,
  startDockerRuntime,
} from '../../../test/harness/dockerd.ts';
import { ProbeManager } from './manager.ts';
import type { ProbeEvents, ProbeTarget } from './types.ts';

// Probes against a real runtime: `skiff runtime docker` over runtime.v1, a private dockerd, and
// a busybox container in a pod sandbox. The schedule runs on manual timers, so each step is one
// probe attempt against the real container.

const busybox = 'skiff.local/busybox:1';
let dir: string;
let dockerd: Dockerd;
let adapter: DockerRuntimeProcess;
let runtime: RuntimeClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-probes-'));
  dockerd = await startDockerd();
  try {
    await dockerd.loadImages((await buildImages([busybox])).path);
    adapter = await startDockerRuntime(dockerd, join(dir, 'runtime.sock'), {
      subnet: freePodSubnet(),
    });
  } catch (err) {
    await dockerd.stop();
    throw err;
  }
  runtime = connectRuntime(adapter.endpoint, { timeoutMs: 60_000 });
});
afterAll(async () => {
  runtime?.close();
  await adapter?.daemon.stop();
  await dockerd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** runPod starts a sandbox with one busybox container running script; it answers the target. */
async function runPod(name: string, script: string, container: Container): Promise<ProbeTarget> {
  const logDirectory = join(dir, 'pods', name);
  mkdirSync(logDirectory, { recursive: true });
  const config = {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, attempt: 0 },
    hostname: name,
    logDirectory,
  };
  const { podSandboxId } = await runtime.runPodSandbox({ config });
  const { containerId } = await runtime.createContainer({
    podSandboxId,
    config: {
      metadata: { name: container.name, attempt: 0 },
      image: { image: busybox },
      command: ['sh', '-c', script],
      logPath: `${container.name}/0.log`,
    },
    sandboxConfig: config,
  });
  await runtime.startContainer({ containerId });
  const status = await runtime.podSandboxStatus({ podSandboxId });
  const podIP = status.status?.network?.ip;
  if (!podIP) throw new Error(`sandbox ${podSandboxId} has no IP`);
  return {
    podUid: `uid-${name}`,
    podName: name,
    namespace: 'default',
    podIP,
    containerName: container.name,
    containerId,
    startedAt: 0,
    container,
    runtime,
  };
}

function recorder() {
  const log: string[] = [];
  const events: ProbeEvents = {
    changed: () => {},
    unhealthy: (_t, kind, message) => log.push(`unhealthy ${kind}: ${message}`),
    restart: (_t, kind, message) => log.push(`restart ${kind}: ${message}`),
  };
  return { log, events };
}

describe('probes against the Docker runtime', () => {
  it('exec liveness passes while /tmp/healthy exists and restarts once it is gone; httpGet readiness follows httpd', async () => {
    const container: Container = {
      name: 'web',
      ports: [{ name: 'http', containerPort: 8080 }],
      livenessProbe: {
        exec: { command: ['cat', '/tmp/healthy'] },
        periodSeconds: 5,
        failureThreshold: 2,
      },
      readinessProbe: {
        httpGet: { port: 'http', path: '/' },
        periodSeconds: 5,
        failureThreshold: 1,
      },
    };
    const target = await runPod(
      'probed',
      'mkdir -p /www && echo ok > /www/index.html && touch /tmp/healthy && httpd -p 8080 -h /www && exec sleep 3600',
      container,
    );
    const timers = new ManualTimers(0);
    const { log, events } = recorder();
    const manager = new ProbeManager({ events, timers, random: () => 0 });
    try {
      manager.track(target);
      await manager.settled();
      // httpd may need a moment after the container starts; each step is one more attempt.
      for (let i = 0; i < 50 && !manager.state(target.containerId).ready; i++) {
        await new Promise((r) => setTimeout(r, 100));
        timers.advance(5_000);
        await manager.settled();
      }
      expect(manager.state(target.containerId)).toEqual({ started: true, ready: true });
      expect(
        log.filter((l) => l.startsWith('unhealthy liveness') || l.startsWith('restart')),
      ).toEqual([]);

      log.length = 0;
      const rm = await runtime.execSync({
        containerId: target.containerId,
        cmd: ['rm', '/tmp/healthy'],
        timeout: 10,
      });
      expect(rm.exitCode).toBe(0);
      timers.advance(5_000);
      await manager.settled();
      expect(log).toEqual([
        "unhealthy liveness: Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n",
      ]);
      timers.advance(5_000);
      await manager.settled();
      expect(log.slice(1)).toEqual([
        "unhealthy liveness: Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n",
        'restart liveness: Container web failed liveness probe, will be restarted',
      ]);
      expect(manager.state(target.containerId).ready).toBe(true);

      log.length = 0;
      const kill = await runtime.execSync({
        containerId: target.containerId,
        cmd: ['killall', 'httpd'],
        timeout: 10,
      });
      expect(kill.exitCode).toBe(0);
      timers.advance(5_000);
      await manager.settled();
      expect(manager.state(target.containerId)).toEqual({ started: true, ready: false });
      expect(log).toEqual([
        `unhealthy readiness: Readiness probe failed: Get "http://${target.podIP}:8080/": dial tcp ${target.podIP}:8080: connect: connection refused`,
      ]);
    } finally {
      manager.close();
    }
  });

  it('an exec probe that outlasts timeoutSeconds fails as timed out', async () => {
    const container: Container = {
      name: 'slow',
      startupProbe: { exec: { command: ['sleep', '30'] }, timeoutSeconds: 1, failureThreshold: 1 },
    };
    const target = await runPod('slow', 'exec sleep 3600', container);
    const { log, events } = recorder();
    const manager = new ProbeManager({ events, timers: new ManualTimers(0), random: () => 0 });
    try {
      manager.track(target);
      await manager.settled();
      expect(log).toEqual([
        'unhealthy startup: Startup probe failed: command "sleep 30" timed out',
        'restart startup: Container slow failed startup probe, will be restarted',
      ]);
      expect(manager.state(target.containerId)).toEqual({ started: false, ready: false });
    } finally {
      manager.close();
    }
  });
});
