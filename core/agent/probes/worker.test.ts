import { describe, expect, it } from 'vitest';
import type { Probe } from '../../../sdk/api/core/container.ts';
import type { ProbeKind } from './types.ts';
import { probeSettings } from './worker.ts';

describe('probeSettings', () => {
  const cases: Array<[string, ProbeKind, Probe, ReturnType<typeof probeSettings>]> = [
    [
      'defaults',
      'readiness',
      { tcpSocket: { port: 80 } },
      { initialDelaySeconds: 0, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
    ],
    [
      'values as given',
      'readiness',
      {
        tcpSocket: { port: 80 },
        initialDelaySeconds: 4,
        periodSeconds: 2,
        successThreshold: 3,
        failureThreshold: 5,
      },
      { initialDelaySeconds: 4, periodSeconds: 2, successThreshold: 3, failureThreshold: 5 },
    ],
    [
      'liveness success threshold is always 1',
      'liveness',
      { tcpSocket: { port: 80 }, successThreshold: 4 },
      { initialDelaySeconds: 0, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
    ],
    [
      'startup success threshold is always 1',
      'startup',
      { tcpSocket: { port: 80 }, successThreshold: 2, failureThreshold: 30 },
      { initialDelaySeconds: 0, periodSeconds: 10, successThreshold: 1, failureThreshold: 30 },
    ],
    [
      'zero and negative values fall back to the defaults',
      'readiness',
      {
        tcpSocket: { port: 80 },
        initialDelaySeconds: -1,
        periodSeconds: 0,
        successThreshold: 0,
        failureThreshold: -2,
      },
      { initialDelaySeconds: 0, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
    ],
  ];
  it.each(cases)('%s', (_name, kind, probe, want) => {
    expect(probeSettings(kind, probe)).toEqual(want);
  });
});
