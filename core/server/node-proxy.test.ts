import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../sdk/api/meta.ts';
import { containerOf, nodeError } from './node-proxy.ts';
import { statusOf } from './status.ts';

const pod = (containers: string[], initContainers: string[] = []): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    containers: containers.map((name) => ({ name })),
    initContainers: initContainers.map((name) => ({ name })),
  },
});

describe('containerOf', () => {
  it.each([
    [['main'], [], undefined, 'main'],
    [['main'], [], '', 'main'],
    [['a', 'b'], [], 'b', 'b'],
    [['a'], ['setup'], 'setup', 'setup'],
  ])('containers %j, init %j, asked %j → %s', (main, init, asked, want) => {
    expect(containerOf(pod(main, init), asked)).toBe(want);
  });

  it.each([
    [
      ['a', 'b'],
      [],
      undefined,
      'a container name must be specified for pod web, choose one of: [a b]',
    ],
    [
      ['a', 'b'],
      ['setup'],
      undefined,
      'a container name must be specified for pod web, choose one of: [a b] or one of the init containers: [setup]',
    ],
    [[], [], undefined, 'a container name must be specified for pod web'],
    [['main'], [], 'nope', 'container nope is not valid for pod web'],
  ])('containers %j, init %j, asked %j is a BadRequest', (main, init, asked, message) => {
    expect(() => containerOf(pod(main, init), asked)).toThrow(
      expect.objectContaining({ code: 'BadRequest', message }),
    );
  });
});

describe('nodeError', () => {
  it.each([
    [400, 'previous terminated container "main" in pod "web" not found\n', 400, 'BadRequest'],
    [404, 'pod "web" does not exist', 404, 'NotFound'],
    [401, 'Unauthorized', 500, 'InternalError'],
    [500, 'boom', 500, 'InternalError'],
  ])('%i %j → %i %s', (status, body, code, reason) => {
    const s = statusOf(nodeError(status, body));
    expect(s).toMatchObject({ code, reason });
    expect(s.message).toContain(body.trim());
  });
});
