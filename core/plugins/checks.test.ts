import { describe, expect, it } from 'vitest';
import type { PluginDefinition } from '../../sdk/plugin.ts';
import {
  type Candidate,
  duplicateRefusals,
  refusalError,
  registrationOrder,
  requirementRefusals,
  sdkRefusals,
} from './checks.ts';

const candidate = (
  id: string,
  fields: Partial<Pick<PluginDefinition, 'version' | 'sdk' | 'provides' | 'requires'>> = {},
  source = `./${id}.ts`,
): Candidate => ({
  source,
  def: { id, version: '1.0.0', sdk: '^1.0.0', provides: [], register() {}, ...fields },
});

describe('sdkRefusals', () => {
  it.each<[string, string, string, RegExp | null]>([
    ['^1.0.0', '1.0.0', 'same major', null],
    ['^1.0.0', '1.4.2', 'newer minor', null],
    ['^1.0.0', '1.1.0-rc.1', 'a pre-release of a later minor', null],
    ['>=1.0.0 <3', '2.0.0', 'a wide range', null],
    [
      '^2.0.0',
      '1.0.0',
      'a newer major',
      /^plugin "p" 1\.0\.0 needs sdk \^2\.0\.0 but this skiff provides sdk 1\.0\.0: install a version of p built for sdk 1\.x, or upgrade skiff to a version whose sdk satisfies \^2\.0\.0$/,
    ],
    ['^1.2.0', '1.1.0', 'a newer minor', /or upgrade skiff/],
    [
      '^0.3.0',
      '1.0.0',
      'an older major',
      /built for sdk 1\.x, or run an older skiff whose sdk satisfies \^0\.3\.0/,
    ],
    ['^1.0.0', '0.9.0', 'a 0.x sdk', /built for sdk 0\.9\.x/],
  ])('range %s on sdk %s (%s)', (range, sdk, _, expected) => {
    const refusals = sdkRefusals([candidate('p', { sdk: range })], sdk);
    if (expected === null) {
      expect(refusals).toEqual([]);
    } else {
      expect(refusals).toHaveLength(1);
      expect(refusals[0]?.code).toBe('PluginIncompatible');
      expect(refusals[0]?.message).toMatch(expected);
    }
  });
});

describe('duplicateRefusals', () => {
  it('names both sources of a duplicate id', () => {
    const refusals = duplicateRefusals([
      candidate('a', {}, './one.ts'),
      candidate('a', { version: '2.0.0' }, './two.ts'),
    ]);
    expect(refusals.map((r) => r.message)).toEqual([
      'plugin id "a" is used twice: 1.0.0 from "./one.ts" and 2.0.0 from "./two.ts": keep only one of them in the cluster config',
    ]);
  });

  it('names both providers of one extension', () => {
    const refusals = duplicateRefusals([
      candidate('a', { provides: ['runtime/docker'] }),
      candidate('b', { provides: ['runtime/docker'] }),
    ]);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]?.code).toBe('PluginDuplicate');
    expect(refusals[0]?.message).toMatch(
      /extension "runtime\/docker" is provided by both plugin "a" 1\.0\.0 and plugin "b" 1\.0\.0/,
    );
  });

  it('accepts distinct ids and extensions', () => {
    expect(
      duplicateRefusals([
        candidate('a', { provides: ['runtime/docker'] }),
        candidate('b', { provides: ['runtime/containerd'] }),
      ]),
    ).toEqual([]);
  });
});

describe('requirementRefusals', () => {
  const core = new Set(['core.logger']);
  it.each<[string, Candidate[], RegExp[]]>([
    [
      'met by another plugin',
      [candidate('a', { requires: ['runtime/x'] }), candidate('b', { provides: ['runtime/x'] })],
      [],
    ],
    ['met by a core token', [candidate('a', { requires: ['core.logger'] })], []],
    [
      'an extension nobody provides',
      [candidate('a', { requires: ['volume-type/nfs'] })],
      [
        /requires extension "volume-type\/nfs", which no configured plugin provides: add a plugin that provides volume-type\/nfs/,
      ],
    ],
    [
      'a core token not registered',
      [candidate('a', { requires: ['core.store'] })],
      [/requires core service "core\.store", which this skiff does not register/],
    ],
  ])('%s', (_, candidates, expected) => {
    const refusals = requirementRefusals(candidates, (id) => core.has(id));
    expect(refusals.map((r) => r.message)).toEqual(expected.map((e) => expect.stringMatching(e)));
  });
});

describe('registrationOrder', () => {
  it('puts providers before the plugins that require them, else keeps config order', () => {
    const result = registrationOrder([
      candidate('uses-both', { requires: ['runtime/x', 'volume-type/y'] }),
      candidate('first', {}),
      candidate('volume', { provides: ['volume-type/y'], requires: ['runtime/x'] }),
      candidate('runtime', { provides: ['runtime/x'] }),
    ]);
    expect('order' in result && result.order.map((c) => c.def.id)).toEqual([
      'first',
      'runtime',
      'volume',
      'uses-both',
    ]);
  });

  it('refuses a cycle, naming its plugins in order', () => {
    const result = registrationOrder([
      candidate('free', {}),
      candidate('a', { provides: ['runtime/a'], requires: ['runtime/b'] }),
      candidate('b', { provides: ['runtime/b'], requires: ['runtime/c'] }),
      candidate('c', { provides: ['runtime/c'], requires: ['runtime/a'] }),
    ]);
    expect('refusal' in result && result.refusal.code).toBe('PluginDependencyCycle');
    expect('refusal' in result && result.refusal.message).toMatch(
      /^plugins "a" → "b" → "c" → "a" require each other's extensions in a cycle/,
    );
  });

  it('lets a plugin require its own extension without a cycle', () => {
    const result = registrationOrder([
      candidate('a', { provides: ['runtime/a'], requires: ['runtime/a'] }),
    ]);
    expect('order' in result).toBe(true);
  });
});

describe('refusalError', () => {
  it('joins several refusals under the first code and keeps each as a cause', () => {
    const err = refusalError([
      { code: 'PluginIncompatible', plugin: 'a', message: 'first problem' },
      { code: 'PluginDuplicate', plugin: 'b', message: 'second problem' },
    ]);
    expect(err.code).toBe('PluginIncompatible');
    expect(err.message).toBe(
      '2 plugin problems stop start-up:\n  - first problem\n  - second problem',
    );
    expect(err.causes.map((c) => c.field)).toEqual(['a', 'b']);
  });
});
