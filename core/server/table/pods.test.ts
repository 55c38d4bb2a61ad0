import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../sdk/api/meta.ts';
import { podRow } from './pods.ts';

const now = new Date('2026-03-01T12:00:00Z');
const created = '2026-03-01T11:56:40Z'; // 3m20s before now

type Status = Record<string, unknown>;
const running = { running: { startedAt: created } };
const ready = (name: string, extra: Status = {}): Status => ({
  name,
  ready: true,
  restartCount: 0,
  state: running,
  ...extra,
});
const waiting = (name: string, reason: string, extra: Status = {}): Status => ({
  name,
  ready: false,
  restartCount: 0,
  state: { waiting: { reason } },
  ...extra,
});
const terminated = (name: string, t: Status): Status => ({
  name,
  ready: false,
  restartCount: 0,
  state: { terminated: t },
});

function pod(opts: {
  containers?: string[];
  init?: { name: string; restartPolicy?: string }[];
  status?: Status;
  deleting?: boolean;
  spec?: Status;
}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-0',
      namespace: 'default',
      creationTimestamp: created,
      ...(opts.deleting === true ? { deletionTimestamp: '2026-03-01T11:59:00Z' } : {}),
    },
    spec: {
      containers: (opts.containers ?? ['main']).map((name) => ({ name, image: 'busybox' })),
      ...(opts.init === undefined
        ? {}
        : { initContainers: opts.init.map((c) => ({ image: 'busybox', ...c })) }),
      ...opts.spec,
    },
    status: opts.status ?? {},
  };
}

describe('pod rows', () => {
  it.each([
    {
      name: 'pending without statuses',
      pod: pod({ status: { phase: 'Pending' } }),
      ready: '0/1',
      status: 'Pending',
    },
    {
      name: 'running and ready',
      pod: pod({ status: { phase: 'Running', containerStatuses: [ready('main')] } }),
      ready: '1/1',
      status: 'Running',
    },
    {
      name: 'container creating',
      pod: pod({
        status: { phase: 'Pending', containerStatuses: [waiting('main', 'ContainerCreating')] },
      }),
      ready: '0/1',
      status: 'ContainerCreating',
    },
    {
      name: 'crash loop back-off',
      pod: pod({
        status: {
          phase: 'Running',
          containerStatuses: [waiting('main', 'CrashLoopBackOff', { restartCount: 4 })],
        },
      }),
      ready: '0/1',
      status: 'CrashLoopBackOff',
    },
    {
      name: 'first container decides the reason',
      pod: pod({
        containers: ['a', 'b'],
        status: {
          phase: 'Pending',
          containerStatuses: [waiting('a', 'ImagePullBackOff'), waiting('b', 'ErrImagePull')],
        },
      }),
      ready: '0/2',
      status: 'ImagePullBackOff',
    },
    {
      name: 'completed',
      pod: pod({
        status: {
          phase: 'Succeeded',
          containerStatuses: [terminated('main', { exitCode: 0, reason: 'Completed' })],
        },
      }),
      ready: '0/1',
      status: 'Completed',
    },
    {
      name: 'error exit',
      pod: pod({
        status: {
          phase: 'Failed',
          containerStatuses: [terminated('main', { exitCode: 2, reason: 'Error' })],
        },
      }),
      ready: '0/1',
      status: 'Error',
    },
    {
      name: 'exit code without reason',
      pod: pod({
        status: { phase: 'Failed', containerStatuses: [terminated('main', { exitCode: 3 })] },
      }),
      ready: '0/1',
      status: 'ExitCode:3',
    },
    {
      name: 'signal without reason',
      pod: pod({
        status: {
          phase: 'Failed',
          containerStatuses: [terminated('main', { exitCode: 137, signal: 9 })],
        },
      }),
      ready: '0/1',
      status: 'Signal:9',
    },
    {
      name: 'one container completed while another runs',
      pod: pod({
        containers: ['a', 'b'],
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'False' }],
          containerStatuses: [terminated('a', { exitCode: 0, reason: 'Completed' }), ready('b')],
        },
      }),
      ready: '1/2',
      status: 'NotReady',
    },
    {
      name: 'first init container running',
      pod: pod({
        init: [{ name: 'i1' }, { name: 'i2' }],
        status: {
          phase: 'Pending',
          initContainerStatuses: [
            { name: 'i1', ready: false, restartCount: 0, state: running },
            waiting('i2', 'PodInitializing'),
          ],
        },
      }),
      ready: '0/1',
      status: 'Init:0/2',
    },
    {
      name: 'second init container after the first succeeded',
      pod: pod({
        init: [{ name: 'i1' }, { name: 'i2' }],
        status: {
          phase: 'Pending',
          initContainerStatuses: [
            terminated('i1', { exitCode: 0, reason: 'Completed' }),
            { name: 'i2', ready: false, restartCount: 0, state: running },
          ],
        },
      }),
      ready: '0/1',
      status: 'Init:1/2',
    },
    {
      name: 'init container crash looping',
      pod: pod({
        init: [{ name: 'i1' }],
        status: {
          phase: 'Pending',
          initContainerStatuses: [waiting('i1', 'CrashLoopBackOff', { restartCount: 2 })],
        },
      }),
      ready: '0/1',
      status: 'Init:CrashLoopBackOff',
    },
    {
      name: 'init container failed',
      pod: pod({
        init: [{ name: 'i1' }],
        status: { phase: 'Pending', initContainerStatuses: [terminated('i1', { exitCode: 1 })] },
      }),
      ready: '0/1',
      status: 'Init:ExitCode:1',
    },
    {
      name: 'sidecar init container counts toward ready',
      pod: pod({
        init: [{ name: 'proxy', restartPolicy: 'Always' }],
        status: {
          phase: 'Running',
          conditions: [{ type: 'Initialized', status: 'True' }],
          initContainerStatuses: [ready('proxy', { started: true })],
          containerStatuses: [ready('main')],
        },
      }),
      ready: '2/2',
      status: 'Running',
    },
    {
      name: 'terminating',
      pod: pod({
        deleting: true,
        status: { phase: 'Running', containerStatuses: [ready('main')] },
      }),
      ready: '1/1',
      status: 'Terminating',
    },
    {
      name: 'deleted after it finished keeps its reason',
      pod: pod({
        deleting: true,
        status: {
          phase: 'Succeeded',
          containerStatuses: [terminated('main', { exitCode: 0, reason: 'Completed' })],
        },
      }),
      ready: '0/1',
      status: 'Completed',
    },
    {
      name: 'node lost',
      pod: pod({ deleting: true, status: { phase: 'Running', reason: 'NodeLost' } }),
      ready: '0/1',
      status: 'Unknown',
    },
    {
      name: 'evicted',
      pod: pod({ status: { phase: 'Failed', reason: 'Evicted' } }),
      ready: '0/1',
      status: 'Evicted',
    },
    {
      name: 'scheduling gated',
      pod: pod({
        status: {
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }],
        },
      }),
      ready: '0/1',
      status: 'SchedulingGated',
    },
  ])('$name: $ready $status', ({ pod: p, ready: r, status }) => {
    const { cells } = podRow(p, now);
    expect(cells.slice(0, 3)).toEqual(['web-0', r, status]);
    expect(cells[4]).toBe('3m20s');
  });

  it('counts restarts and says how long ago the last one was', () => {
    const p = pod({
      status: {
        phase: 'Running',
        containerStatuses: [
          ready('main', {
            restartCount: 3,
            lastState: { terminated: { exitCode: 1, finishedAt: '2026-03-01T11:59:15Z' } },
          }),
        ],
      },
    });
    expect(podRow(p, now).cells[3]).toBe('3 (45s ago)');
    expect(
      podRow(
        pod({
          status: { phase: 'Running', containerStatuses: [ready('main', { restartCount: 2 })] },
        }),
        now,
      ).cells[3],
    ).toBe('2');
  });

  it('fills the wide cells: IP, node, nominated node, readiness gates', () => {
    const p = pod({
      spec: {
        nodeName: 'node-1',
        readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }],
      },
      status: {
        phase: 'Running',
        podIPs: [{ ip: '10.244.0.7' }, { ip: 'fd00::7' }],
        conditions: [{ type: 'example.com/lb', status: 'True' }],
        containerStatuses: [ready('main')],
      },
    });
    expect(podRow(p, now).cells.slice(5)).toEqual(['10.244.0.7', 'node-1', '<none>', '1/2']);
    expect(podRow(pod({ status: { phase: 'Pending' } }), now).cells.slice(5)).toEqual([
      '<none>',
      '<none>',
      '<none>',
      '<none>',
    ]);
  });

  it('marks finished pods with a Completed row condition', () => {
    expect(podRow(pod({ status: { phase: 'Succeeded' } }), now).conditions?.[0]).toMatchObject({
      type: 'Completed',
      status: 'True',
      reason: 'Succeeded',
    });
    expect(podRow(pod({ status: { phase: 'Failed' } }), now).conditions?.[0]).toMatchObject({
      reason: 'Failed',
    });
    expect(podRow(pod({ status: { phase: 'Running' } }), now).conditions).toBeUndefined();
  });
});
