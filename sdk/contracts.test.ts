import { describe, expect, it } from 'vitest';
import { admissionExtension, allowed } from './admission.ts';
import { componentExtension } from './component.ts';
import { controllerExtension, done, requeueAfter, terminal } from './controller.ts';
import { extensionKey, isExtensionKey } from './plugin.ts';
import { isSuccess, schedulerPluginExtension, status, statusCodes, success } from './scheduler.ts';
import { serviceTypeExtension } from './service.ts';
import { volumeTypeExtension } from './volume.ts';

describe('extension kinds', () => {
  it.each([
    [schedulerPluginExtension, 'scheduler-plugin'],
    [controllerExtension, 'controller'],
    [volumeTypeExtension, 'volume-type'],
    [serviceTypeExtension, 'service-type'],
    [admissionExtension, 'admission'],
    [componentExtension, 'component'],
  ])('%o is declared as %s and forms kind/name keys', (kind, name) => {
    expect(kind.kind).toBe(name);
    expect(isExtensionKey(extensionKey(kind, 'Example'))).toBe(true);
  });

  it.each([
    ['runtime/docker', true],
    ['scheduler-plugin/NodeName', true],
    ['docker', false],
    ['Runtime/docker', false],
    ['runtime/', false],
    ['runtime/-docker', false],
  ])('isExtensionKey(%s) is %s', (key, expected) => {
    expect(isExtensionKey(key)).toBe(expected);
  });
});

describe('scheduler status values', () => {
  it('carries the Kubernetes framework codes', () => {
    expect(statusCodes).toEqual([
      'Success',
      'Error',
      'Unschedulable',
      'UnschedulableAndUnresolvable',
      'Wait',
      'Skip',
    ]);
  });

  it.each<[ReturnType<typeof status> | undefined, boolean]>([
    [undefined, true],
    [success, true],
    [status('Unschedulable', 'node(s) had untolerated taint'), false],
    [status('Skip'), false],
  ])('isSuccess(%o) is %s', (s, expected) => {
    expect(isSuccess(s)).toBe(expected);
  });

  it('keeps the reasons', () => {
    expect(status('Unschedulable', 'a', 'b').reasons).toEqual(['a', 'b']);
  });
});

describe('reconcile results', () => {
  it('are values', () => {
    expect(done).toEqual({ done: true });
    expect(requeueAfter(1500)).toEqual({ requeueAfterMs: 1500 });
    expect(terminal('spec.replicas is negative')).toEqual({
      terminal: 'spec.replicas is negative',
    });
    expect(allowed).toEqual({ allowed: true });
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses a requeue delay of %s', (ms) => {
    expect(() => requeueAfter(ms)).toThrow(RangeError);
  });
});
