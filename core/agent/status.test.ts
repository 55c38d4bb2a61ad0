import { describe, expect, it } from 'vitest';
import type { Pod } from '../../sdk/api/core/pod.ts';
import {
  type ContainerInstance,
  type ContainerView,
  computePodStatus,
  podPhase,
  qosClass,
  rfc3339,
} from './status.ts';

const t0 = Date.parse('2026-01-01T00:00:00Z');
const now = '2026-01-01T00:01:00Z';

const pod = (restartPolicy = 'Always', init = false): Pod => ({
  metadata: { name: 'p', namespace: 'default', uid: 'u1' },
  spec: {
    restartPolicy,
    ...(init ? { initContainers: [{ name: 'setup', image: 'busybox' }] } : {}),
    containers: [{ name: 'app', image: 'nginx:1.7.9' }],
  },
  status: {
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: '2025-12-31T23:59:59Z' },
    ],
  },
});

const inst = (
  attempt: number,
  state: ContainerInstance['state'],
  exitCode?: number,
): ContainerInstance => ({
  id: `c${attempt}`,
  runtime: 'docker',
  attempt,
  state,
  startedAt: t0 + attempt * 1000,
  ...(state === 'exited' ? { finishedAt: t0 + attempt * 1000 + 500, exitCode } : {}),
  image: 'nginx:1.7.9',
  imageRef: 'sha256:abc',
});

const view = (v: Partial<ContainerView>): ContainerView => ({ ready: false, started: false, ...v });

function status(p: Pod, app: ContainerView | undefined, setup?: ContainerView) {
  return computePodStatus({
    pod: p,
    hostIP: '192.168.0.2',
    sandboxReady: true,
    podIP: '10.244.0.7',
    init: new Map(setup ? [['setup', setup]] : []),
    containers: new Map(app ? [['app', app]] : []),
    now,
  });
}

const cond = (s: ReturnType<typeof status>, type: string) =>
  s.conditions?.find((c) => c.type === type)?.status;

describe('computePodStatus', () => {
  it.each<[string, string, ContainerView | undefined, string, object, string, number]>([
    [
      'not created yet',
      'Always',
      undefined,
      'Pending',
      { waiting: { reason: 'ContainerCreating' } },
      'False',
      0,
    ],
    [
      'running and ready',
      'Always',
      view({ latest: inst(0, 'running'), ready: true, started: true }),
      'Running',
      { running: { startedAt: rfc3339(t0) } },
      'True',
      0,
    ],
    [
      'running, readiness not yet passed',
      'Always',
      view({ latest: inst(0, 'running'), started: true }),
      'Running',
      { running: {} },
      'False',
      0,
    ],
    [
      'crash looping',
      'Always',
      view({
        latest: inst(3, 'exited', 2),
        previous: inst(2, 'exited', 2),
        waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' },
      }),
      'Running',
      { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } },
      'False',
      3,
    ],
    [
      'exited 0 under Never',
      'Never',
      view({ latest: inst(0, 'exited', 0) }),
      'Succeeded',
      { terminated: { exitCode: 0, reason: 'Completed' } },
      'False',
      0,
    ],
    [
      'exited 1 under Never',
      'Never',
      view({ latest: inst(0, 'exited', 1) }),
      'Failed',
      { terminated: { exitCode: 1, reason: 'Error' } },
      'False',
      0,
    ],
    [
      'exited 0 under OnFailure',
      'OnFailure',
      view({ latest: inst(1, 'exited', 0) }),
      'Succeeded',
      { terminated: { exitCode: 0 } },
      'False',
      1,
    ],
    [
      'exited 1 under OnFailure, restarting',
      'OnFailure',
      view({ latest: inst(1, 'exited', 1) }),
      'Running',
      { terminated: { exitCode: 1 } },
      'False',
      1,
    ],
    [
      'created, not started',
      'Always',
      view({ latest: inst(0, 'created') }),
      'Pending',
      { waiting: { reason: 'ContainerCreating' } },
      'False',
      0,
    ],
  ])('%s', (_name, policy, app, phase, state, ready, restarts) => {
    const s = status(pod(policy), app);
    expect(s.phase).toBe(phase);
    const cs = s.containerStatuses?.[0];
    expect(cs?.state).toMatchObject(state);
    expect(cs?.restartCount).toBe(restarts);
    expect(cond(s, 'Ready')).toBe(ready);
    expect(cond(s, 'ContainersReady')).toBe(ready);
    expect(s.podIP).toBe('10.244.0.7');
    expect(s.hostIP).toBe('192.168.0.2');
  });

  it('keeps the last exit in lastState while the next instance runs', () => {
    const s = status(
      pod(),
      view({
        latest: inst(1, 'running'),
        previous: inst(0, 'exited', 137),
        ready: true,
        started: true,
      }),
    );
    const cs = s.containerStatuses?.[0];
    expect(cs).toMatchObject({
      restartCount: 1,
      containerID: 'docker://c1',
      imageID: 'sha256:abc',
      lastState: { terminated: { exitCode: 137, reason: 'Error', containerID: 'docker://c0' } },
      ready: true,
      started: true,
    });
    expect(cond(s, 'Ready')).toBe('True');
  });

  it.each<[string, string, ContainerView | undefined, string, string, object]>([
    [
      'init container running',
      'Always',
      view({ latest: inst(0, 'running') }),
      'Pending',
      'False',
      { running: {} },
    ],
    [
      'init container failed under Never',
      'Never',
      view({ latest: inst(0, 'exited', 1) }),
      'Failed',
      'False',
      { terminated: { exitCode: 1 } },
    ],
    [
      'init container failed and backing off',
      'Always',
      view({ latest: inst(0, 'exited', 1), waiting: { reason: 'CrashLoopBackOff' } }),
      'Pending',
      'False',
      { waiting: { reason: 'CrashLoopBackOff' } },
    ],
    [
      'init container done, app starting',
      'Always',
      view({ latest: inst(0, 'exited', 0) }),
      'Pending',
      'True',
      { terminated: { exitCode: 0, reason: 'Completed' } },
    ],
  ])('%s', (_name, policy, setup, phase, initialized, state) => {
    const s = status(pod(policy, true), undefined, setup);
    expect(s.phase).toBe(phase);
    expect(cond(s, 'Initialized')).toBe(initialized);
    expect(s.initContainerStatuses?.[0]?.state).toMatchObject(state);
  });

  it('says which containers are not ready and keeps transition times that did not change', () => {
    const p = pod();
    const first = status(p, view({ latest: inst(0, 'running') }));
    const ready = first.conditions?.find((c) => c.type === 'ContainersReady');
    expect(ready).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [app]',
      lastTransitionTime: now,
    });
    const later = computePodStatus({
      pod: { ...p, status: first },
      hostIP: '192.168.0.2',
      sandboxReady: true,
      init: new Map(),
      containers: new Map(),
      now: '2026-01-01T00:05:00Z',
    });
    expect(later.conditions?.find((c) => c.type === 'ContainersReady')?.lastTransitionTime).toBe(
      now,
    );
    expect(later.conditions?.find((c) => c.type === 'PodScheduled')?.lastTransitionTime).toBe(
      '2025-12-31T23:59:59Z',
    );
    expect(later.startTime).toBe(first.startTime);
  });

  it('phase counts a waiting container with an earlier exit as stopped', () => {
    expect(
      podPhase(
        'Never',
        [],
        [
          {
            name: 'a',
            ready: false,
            restartCount: 0,
            image: '',
            imageID: '',
            state: { waiting: {} },
            lastState: { terminated: { exitCode: 0 } },
          },
        ],
      ),
    ).toBe('Succeeded');
  });
});

describe('qosClass', () => {
  it.each([
    [{}, 'BestEffort'],
    [{ limits: { cpu: '1', memory: '1Gi' } }, 'Guaranteed'],
    [{ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } }, 'Guaranteed'],
    [{ requests: { cpu: '100m' } }, 'Burstable'],
  ])('%j is %s', (resources, want) => {
    expect(qosClass({ spec: { containers: [{ name: 'a', resources }] } })).toBe(want);
  });
});
