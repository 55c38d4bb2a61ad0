import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Container, Probe } from '../../../sdk/api/core/container.ts';
import { ManualTimers } from '../../../sdk/controller/manual-timers.ts';
import { ProbeManager } from './manager.ts';
import {
  closedPort,
  type ExecAnswer,
  execRuntime,
  type ProbeTestServer,
  probeTarget,
  startProbeTestServer,
} from './test-servers.ts';
import type { ProbeEvents } from './types.ts';

let server: ProbeTestServer;
let refused: number;
beforeAll(async () => {
  server = await startProbeTestServer();
  refused = await closedPort();
});
afterAll(() => server?.close());

let manager: ProbeManager | undefined;
afterEach(() => manager?.close());

/** setup tracks one container with the given probes; exec probes answer from `answers`. */
function setup(
  probes: Partial<Container>,
  answers: ExecAnswer[] | ((cmd: string[]) => ExecAnswer) = [],
) {
  const timers = new ManualTimers(1_000_000);
  const log: string[] = [];
  const events: ProbeEvents = {
    changed: (uid) => log.push(`changed ${uid}`),
    unhealthy: (_t, kind, message) => log.push(`unhealthy ${kind}: ${message}`),
    restart: (t, kind, message, details) =>
      log.push(`restart ${kind} ${t.containerId}: ${message} ${JSON.stringify(details ?? {})}`),
    warning: (_t, kind, message) => log.push(`warning ${kind}: ${message}`),
  };
  const queue = [...(Array.isArray(answers) ? answers : [])];
  const fake = execRuntime((cmd) =>
    typeof answers === 'function' ? answers(cmd) : (queue.shift() ?? { exitCode: 0 }),
  );
  const m = new ProbeManager({ events, timers, random: () => 0 });
  manager = m;
  const container: Container = {
    name: 'app',
    ports: [{ name: 'http', containerPort: server.port }],
    ...probes,
  };
  const target = probeTarget(container, fake.runtime, timers.now());
  m.track(target);
  const step = async (ms: number) => {
    timers.advance(ms);
    await m.settled();
  };
  return { timers, log, calls: fake.calls, manager: m, target, step };
}

const exec = (command: string, extra: Partial<Probe> = {}): Probe => ({
  exec: { command: ['sh', '-c', command] },
  ...extra,
});

describe('ProbeManager', () => {
  it('without probes a container is started and ready at once', async () => {
    const { manager, target, log, step } = setup({});
    expect(manager.state(target.containerId)).toEqual({ started: true, ready: true });
    await step(60_000);
    expect(log).toEqual([]);
  });

  it('spreads first probes over the period while the manager is young, as kubelet does after a restart', async () => {
    const timers = new ManualTimers(0);
    const fake = execRuntime(() => ({ exitCode: 0 }));
    const noEvents: ProbeEvents = { changed: () => {}, unhealthy: () => {}, restart: () => {} };
    const m = new ProbeManager({ events: noEvents, timers, random: () => 0.5 });
    manager = m;
    const probe = exec('live', { periodSeconds: 10 });
    m.track(probeTarget({ name: 'a', livenessProbe: probe }, fake.runtime, 0, 'a'));
    await m.settled();
    expect(fake.calls).toHaveLength(0);
    timers.advance(4_999);
    await m.settled();
    expect(fake.calls).toHaveLength(0);
    timers.advance(1);
    await m.settled();
    expect(fake.calls).toHaveLength(1);
    // Once a period has gone by since the start, a new container is probed at once.
    timers.advance(6_000);
    m.track(probeTarget({ name: 'b', livenessProbe: probe }, fake.runtime, timers.now(), 'b'));
    await m.settled();
    expect(fake.calls.map((c) => c.containerId)).toEqual(['a', 'b']);
  });

  it('an untracked container is neither started nor ready', () => {
    const { manager } = setup({});
    expect(manager.state('nope')).toEqual({ started: false, ready: false });
  });

  it('readiness starts false, turns true after successThreshold passes and false after failureThreshold failures', async () => {
    const { manager, target, log, calls, step } = setup(
      {
        readinessProbe: exec('check', {
          periodSeconds: 5,
          successThreshold: 2,
          failureThreshold: 2,
        }),
      },
      [
        { exitCode: 0 },
        { exitCode: 0 },
        { exitCode: 1, stdout: 'down' },
        { exitCode: 0 },
        { exitCode: 1, stdout: 'down' },
        { exitCode: 1, stdout: 'still down' },
      ],
    );
    await manager.settled();
    // First tick at once: one pass is not enough with successThreshold 2.
    expect(calls).toHaveLength(1);
    expect(manager.state(target.containerId)).toEqual({ started: true, ready: false });
    await step(5_000);
    expect(manager.state(target.containerId).ready).toBe(true);
    expect(log).toEqual(['changed uid-1']);
    await step(5_000); // failure 1 of 2
    await step(5_000); // a pass breaks the run
    await step(5_000); // failure 1 of 2
    expect(manager.state(target.containerId).ready).toBe(true);
    await step(5_000); // failure 2 of 2
    expect(manager.state(target.containerId).ready).toBe(false);
    expect(log).toEqual([
      'changed uid-1',
      'unhealthy readiness: Readiness probe failed: down',
      'unhealthy readiness: Readiness probe failed: down',
      'unhealthy readiness: Readiness probe failed: still down',
      'changed uid-1',
    ]);
    expect(calls).toHaveLength(6);
  });

  it('runs every periodSeconds (10 by default) with the probe timeout, after initialDelaySeconds', async () => {
    const { calls, step, manager } = setup({
      livenessProbe: exec('true', { initialDelaySeconds: 15 }),
    });
    await manager.settled();
    expect(calls).toHaveLength(0);
    await step(10_000);
    expect(calls).toHaveLength(0); // 10 s after start: still inside the initial delay
    await step(10_000);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ timeout: 1, cmd: ['sh', '-c', 'true'] });
    await step(9_999);
    expect(calls).toHaveLength(1);
    await step(1);
    expect(calls).toHaveLength(2);
  });

  it('liveness restarts after failureThreshold consecutive failures, then stops probing', async () => {
    const { calls, step, manager, log } = setup(
      {
        livenessProbe: exec('check', {
          periodSeconds: 1,
          failureThreshold: 3,
          timeoutSeconds: 4,
          terminationGracePeriodSeconds: 7,
        }),
      },
      [{ exitCode: 1, stdout: 'a' }, { exitCode: 1, stdout: 'b' }, 'timeout'],
    );
    await manager.settled();
    await step(1_000);
    expect(log.filter((l) => l.startsWith('restart'))).toEqual([]);
    await step(1_000);
    expect(log).toEqual([
      'unhealthy liveness: Liveness probe failed: a',
      'unhealthy liveness: Liveness probe failed: b',
      'unhealthy liveness: Liveness probe failed: command "sh -c check" timed out',
      'restart liveness cid-app: Container app failed liveness probe, will be restarted {"terminationGracePeriodSeconds":7}',
    ]);
    expect(calls.map((c) => c.timeout)).toEqual([4, 4, 4]);
    await step(30_000);
    expect(calls).toHaveLength(3);
    // Liveness has no say in readiness: without a readiness probe the container stays ready
    // until the agent replaces it and untracks this id.
    expect(manager.state('cid-app')).toEqual({ started: true, ready: true });
  });

  it('a container liveness gave up on is not probed again when tracked anew', async () => {
    const { step, manager, log, calls, target } = setup(
      { livenessProbe: exec('check', { periodSeconds: 1, failureThreshold: 1 }) },
      () => ({ exitCode: 1 }),
    );
    await manager.settled();
    expect(log.filter((l) => l.startsWith('restart'))).toHaveLength(1);
    // The agent untracks the container, and a sync tracks it again while it is being stopped.
    manager.untrack(target.containerId);
    manager.track(target);
    await step(5_000);
    expect(calls).toHaveLength(1);
    expect(manager.tracked()).toEqual([]);
    // Its replacement has a new id and is probed.
    manager.track({ ...target, containerId: 'cid-app-2' });
    await manager.settled();
    expect(calls).toHaveLength(2);
    expect(log.filter((l) => l.startsWith('restart'))).toHaveLength(2);
  });

  it('a pass resets the failure count of liveness', async () => {
    const { step, manager, log } = setup(
      { livenessProbe: exec('check', { periodSeconds: 1, failureThreshold: 2 }) },
      [{ exitCode: 1 }, { exitCode: 0 }, { exitCode: 1 }, { exitCode: 0 }, { exitCode: 1 }],
    );
    await manager.settled();
    for (let i = 0; i < 4; i++) await step(1_000);
    expect(log.filter((l) => l.startsWith('restart'))).toEqual([]);
    expect(log).toHaveLength(3);
  });

  it('errored attempts are reported but never counted', async () => {
    const { step, manager, log, calls } = setup(
      { livenessProbe: exec('check', { periodSeconds: 1, failureThreshold: 1 }) },
      () => 'notfound',
    );
    await manager.settled();
    await step(1_000);
    await step(1_000);
    expect(log).toEqual([
      'unhealthy liveness: Liveness probe errored: ExecSync: NOT_FOUND: no such container',
      'unhealthy liveness: Liveness probe errored: ExecSync: NOT_FOUND: no such container',
      'unhealthy liveness: Liveness probe errored: ExecSync: NOT_FOUND: no such container',
    ]);
    // Each tick tries three times before it reports.
    expect(calls).toHaveLength(9);
  });

  it('startup gates liveness and readiness, then stops; readiness is probed at once', async () => {
    const commands: string[] = [];
    let startupPasses = false;
    const { step, manager, log, target } = setup(
      {
        startupProbe: exec('startup', { periodSeconds: 2, failureThreshold: 30 }),
        livenessProbe: exec('live', { periodSeconds: 3 }),
        readinessProbe: exec('ready', { periodSeconds: 100 }),
      },
      (cmd) => {
        const name = cmd[2]!;
        commands.push(name);
        return { exitCode: name === 'startup' && !startupPasses ? 1 : 0 };
      },
    );
    await manager.settled();
    await step(2_000);
    await step(2_000);
    expect(commands).toEqual(['startup', 'startup', 'startup']);
    expect(manager.state(target.containerId)).toEqual({ started: false, ready: false });
    startupPasses = true;
    commands.length = 0;
    await step(2_000);
    expect(manager.state(target.containerId)).toEqual({ started: true, ready: true });
    // The startup pass, then readiness right away (its own period is 100 s).
    expect(commands).toEqual(['startup', 'ready']);
    expect(log.filter((l) => l.startsWith('changed'))).toEqual(['changed uid-1', 'changed uid-1']);
    commands.length = 0;
    await step(6_000);
    expect(commands).toEqual(['live', 'live']);
  });

  it('a startup probe that gives up restarts the container', async () => {
    const { step, manager, log, target } = setup(
      { startupProbe: exec('startup', { periodSeconds: 1, failureThreshold: 2 }) },
      () => ({ exitCode: 1, stderr: 'not yet' }),
    );
    await manager.settled();
    await step(1_000);
    await step(5_000);
    expect(log).toEqual([
      'unhealthy startup: Startup probe failed: not yet',
      'unhealthy startup: Startup probe failed: not yet',
      'restart startup cid-app: Container app failed startup probe, will be restarted {}',
    ]);
    expect(manager.state(target.containerId)).toEqual({ started: false, ready: false });
  });

  it('untrack and untrackPod stop the probes; tracking again only refreshes the target', async () => {
    const { step, manager, calls, target } = setup({
      livenessProbe: exec('live', { periodSeconds: 1 }),
    });
    await manager.settled();
    manager.track({ ...target, podIP: '10.0.0.9' });
    await step(1_000);
    expect(calls).toHaveLength(2);
    expect(manager.tracked()).toEqual(['cid-app']);
    manager.track({ ...target, containerId: 'cid-other', podUid: 'uid-2' });
    await manager.settled();
    expect(calls).toHaveLength(3);
    manager.untrackPod('uid-1');
    expect(manager.tracked()).toEqual(['cid-other']);
    manager.untrack('cid-other');
    manager.untrack('cid-other');
    await step(10_000);
    expect(calls).toHaveLength(3);
    expect(manager.state('cid-app')).toEqual({ started: false, ready: false });
  });

  it('a terminating pod keeps its readiness probe but no longer runs liveness', async () => {
    const commands: string[] = [];
    const { step, manager, log } = setup(
      {
        livenessProbe: exec('live', { periodSeconds: 1, failureThreshold: 1 }),
        readinessProbe: exec('ready', { periodSeconds: 1 }),
      },
      (cmd) => {
        commands.push(cmd[2]!);
        return { exitCode: 0 };
      },
    );
    await manager.settled();
    expect(commands.sort()).toEqual(['live', 'ready']);
    manager.terminating('uid-2');
    commands.length = 0;
    await step(1_000);
    expect(commands.sort()).toEqual(['live', 'ready']);
    manager.terminating('uid-1');
    commands.length = 0;
    await step(1_000);
    await step(1_000);
    expect(commands).toEqual(['ready', 'ready']);
    expect(log.filter((l) => l.startsWith('restart'))).toEqual([]);
  });

  it('readiness over HTTP follows the server, with kubelet messages', async () => {
    server.setHealth(200);
    const { step, manager, log, target } = setup({
      readinessProbe: {
        httpGet: { port: 'http', path: '/health' },
        periodSeconds: 1,
        failureThreshold: 1,
      },
    });
    await manager.settled();
    expect(manager.state(target.containerId).ready).toBe(true);
    server.setHealth(500);
    await step(1_000);
    expect(manager.state(target.containerId).ready).toBe(false);
    server.setHealth(204);
    await step(1_000);
    expect(manager.state(target.containerId).ready).toBe(true);
    expect(log).toEqual([
      'changed uid-1',
      'unhealthy readiness: Readiness probe failed: HTTP probe failed with statuscode: 500',
      'changed uid-1',
      'changed uid-1',
    ]);
  });

  it('a redirect to another host passes with a warning', async () => {
    const { manager, log, target } = setup({
      readinessProbe: { httpGet: { port: 'http', path: '/away' } },
    });
    await manager.settled();
    expect(manager.state(target.containerId).ready).toBe(true);
    expect(log).toEqual([
      'warning readiness: Readiness probe warning: Probe terminated redirects, Response body: moved away',
      'changed uid-1',
    ]);
  });

  it('liveness over TCP restarts a container whose port refuses', async () => {
    const { step, manager, log } = setup({
      livenessProbe: { tcpSocket: { port: refused }, periodSeconds: 2, failureThreshold: 2 },
    });
    await manager.settled();
    await step(2_000);
    const refusal = `Liveness probe failed: dial tcp 127.0.0.1:${refused}: connect: connection refused`;
    expect(log).toEqual([
      `unhealthy liveness: ${refusal}`,
      `unhealthy liveness: ${refusal}`,
      'restart liveness cid-app: Container app failed liveness probe, will be restarted {}',
    ]);
  });

  it('a probe on an unknown port name fails with a message naming it', async () => {
    const { manager, log } = setup({
      readinessProbe: { tcpSocket: { port: 'admin' } },
    });
    await manager.settled();
    expect(log).toEqual([
      'unhealthy readiness: Readiness probe failed: port "admin" is not a port name of container "app" (its named ports are http)',
    ]);
  });
});
