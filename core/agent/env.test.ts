import { describe, expect, it } from 'vitest';
import type { Container } from '../../sdk/api/core/container.ts';
import type { Pod } from '../../sdk/api/core/pod.ts';
import { type EnvLookup, expandVars, resolveEnv } from './env.ts';

const vars: Record<string, string> = { A: 'alpha', B: 'beta', EMPTY: '' };

describe('expandVars', () => {
  it.each([
    ['plain', 'plain'],
    ['$(A)', 'alpha'],
    ['x-$(A)-$(B)-y', 'x-alpha-beta-y'],
    ['$(MISSING)', '$(MISSING)'],
    ['$$(A)', '$(A)'],
    ['$$$(A)', '$alpha'],
    ['$$', '$'],
    ['$A', '$A'],
    ['$(A', '$(A'],
    ['$()', '$()'],
    ['end$', 'end$'],
    ['$(EMPTY)x', 'x'],
  ])('%j expands to %j', (input, want) => {
    expect(expandVars(input, (n) => vars[n])).toBe(want);
  });
});

const pod: Pod = {
  metadata: {
    name: 'web-1',
    namespace: 'shop',
    uid: 'uid-1',
    labels: { app: 'web', tier: 'front' },
    annotations: { note: 'hi' },
  },
  spec: {
    nodeName: 'node-a',
    serviceAccountName: 'default',
    containers: [
      { name: 'app', resources: { limits: { memory: '64Mi' }, requests: { cpu: '250m' } } },
    ],
  },
  status: { podIP: '10.1.0.5', podIPs: [{ ip: '10.1.0.5' }], hostIP: '192.168.1.2' },
};

const lookup: EnvLookup = {
  configMap: async (ns, name) =>
    ns === 'shop' && name === 'settings'
      ? { MODE: 'fast', 'bad name': 'x', LEVEL: '3' }
      : undefined,
  secret: async (ns, name) =>
    ns === 'shop' && name === 'creds' ? { PASSWORD: 's3cret' } : undefined,
  allocatable: (r) => ({ cpu: '2', memory: '4Gi' })[r],
};

const base: Container = { name: 'app', resources: pod.spec?.containers[0]?.resources };

describe('resolveEnv', () => {
  it.each<[string, Partial<Container>, Record<string, string>]>([
    [
      'literal values and expansion of earlier ones',
      {
        env: [
          { name: 'X', value: '1' },
          { name: 'Y', value: '$(X)-2' },
        ],
      },
      { X: '1', Y: '1-2' },
    ],
    [
      'a later variable is not visible to an earlier one',
      {
        env: [
          { name: 'Y', value: '$(X)' },
          { name: 'X', value: '1' },
        ],
      },
      { Y: '$(X)', X: '1' },
    ],
    [
      'configMapKeyRef and secretKeyRef',
      {
        env: [
          { name: 'M', valueFrom: { configMapKeyRef: { name: 'settings', key: 'MODE' } } },
          { name: 'P', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } },
        ],
      },
      { M: 'fast', P: 's3cret' },
    ],
    [
      'optional missing key is left out',
      {
        env: [
          { name: 'Q', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
        ],
      },
      {},
    ],
    [
      'fieldRef paths',
      {
        env: [
          { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
          { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
          { name: 'NOTE', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } },
          { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
        ],
      },
      {
        NAME: 'web-1',
        NS: 'shop',
        UID: 'uid-1',
        NODE: 'node-a',
        IP: '10.1.0.5',
        HOST: '192.168.1.2',
        TIER: 'front',
        NOTE: 'hi',
        SA: 'default',
      },
    ],
    [
      'resourceFieldRef with divisors and node allocatable for unset limits',
      {
        env: [
          {
            name: 'MEM_MI',
            valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } },
          },
          {
            name: 'CPU_REQ_M',
            valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } },
          },
          { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu' } } },
          { name: 'CPU_LIM', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        ],
      },
      { MEM_MI: '64', CPU_REQ_M: '250', CPU_REQ: '1', CPU_LIM: '2' },
    ],
    [
      'envFrom with prefix, invalid names skipped, env overrides',
      {
        envFrom: [
          { configMapRef: { name: 'settings' }, prefix: 'CFG_' },
          { secretRef: { name: 'creds' } },
        ],
        env: [{ name: 'CFG_MODE', value: 'slow:$(PASSWORD)' }],
      },
      { CFG_MODE: 'slow:s3cret', CFG_LEVEL: '3', PASSWORD: 's3cret' },
    ],
    [
      'optional missing envFrom is skipped',
      { envFrom: [{ configMapRef: { name: 'gone', optional: true } }] },
      {},
    ],
  ])('%s', async (_name, extra, want) => {
    const r = await resolveEnv(pod, { ...base, ...extra }, lookup);
    expect(r.ok).toBe(true);
    if (r.ok) expect(Object.fromEntries(r.env.map((e) => [e.key, e.value]))).toEqual(want);
  });

  it.each<[string, Partial<Container>, string]>([
    [
      'a missing ConfigMap',
      { env: [{ name: 'M', valueFrom: { configMapKeyRef: { name: 'nope', key: 'MODE' } } }] },
      'configmap "nope" not found',
    ],
    [
      'a missing key',
      { env: [{ name: 'M', valueFrom: { configMapKeyRef: { name: 'settings', key: 'NOPE' } } }] },
      "couldn't find key NOPE in ConfigMap shop/settings",
    ],
    [
      'a missing Secret in envFrom',
      { envFrom: [{ secretRef: { name: 'nope' } }] },
      'secret "nope" not found',
    ],
    [
      'an unsupported fieldPath',
      { env: [{ name: 'F', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } }] },
      'unsupported fieldPath "spec.bogus"',
    ],
  ])('refuses %s', async (_name, extra, message) => {
    expect(await resolveEnv(pod, { ...base, ...extra }, lookup)).toEqual({ ok: false, message });
  });

  it('expands command and args against the final environment', async () => {
    const r = await resolveEnv(
      pod,
      {
        ...base,
        env: [{ name: 'GREETING', value: 'hello' }],
        command: ['sh', '-c'],
        args: ['echo $(GREETING) $$(GREETING) $(NOPE)'],
      },
      lookup,
    );
    expect(r).toMatchObject({
      ok: true,
      command: ['sh', '-c'],
      args: ['echo hello $(GREETING) $(NOPE)'],
    });
  });
});
