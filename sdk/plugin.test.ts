import { describe, expect, it } from 'vitest';
import { isSkiffError } from './errors.ts';
import { definePlugin, isPlugin, type PluginDefinition, token } from './plugin.ts';

const good: PluginDefinition = {
  id: 'acme-scheduler',
  version: '1.2.0',
  sdk: '^1.0.0',
  provides: ['scheduler-plugin/AcmeSpread', 'runtime/acme'],
  requires: ['runtime/docker', 'core.logger'],
  register() {},
};

describe('definePlugin', () => {
  it('accepts a well-formed plugin and marks it', () => {
    const plugin = definePlugin(good);
    expect(isPlugin(plugin)).toBe(true);
    expect(plugin.id).toBe('acme-scheduler');
    expect(Object.isFrozen(plugin)).toBe(true);
  });

  it.each<[string, Partial<Record<keyof PluginDefinition, unknown>>, RegExp]>([
    ['id in PascalCase', { id: 'AcmeScheduler' }, /id "AcmeScheduler" must be kebab-case/],
    ['id with a double dash', { id: 'acme--scheduler' }, /must be kebab-case/],
    ['missing id', { id: undefined }, /plugin \(no id\).*id undefined must be kebab-case/],
    ['version not semver', { version: '1.2' }, /version "1.2" must be a semver version/],
    ['sdk not a range', { sdk: 'latest' }, /sdk "latest" must be a semver range/],
    ['provides not a list', { provides: 'runtime/docker' }, /provides must be a list/],
    [
      'provides without a kind',
      { provides: ['docker'] },
      /provides entry "docker" must be "kind\/name"/,
    ],
    [
      'provides with a bad kind',
      { provides: ['Runtime/docker'] },
      /provides entry "Runtime\/docker"/,
    ],
    [
      'provides listing one extension twice',
      { provides: ['runtime/a', 'runtime/a'] },
      /provides lists "runtime\/a" twice/,
    ],
    ['requires something vague', { requires: ['store'] }, /requires entry "store" must be/],
    ['register missing', { register: 42 }, /register must be a function/],
  ])('refuses %s with PluginInvalid naming the plugin and the fix', (_, change, message) => {
    let thrown: unknown;
    try {
      definePlugin({ ...good, ...change } as PluginDefinition);
    } catch (err) {
      thrown = err;
    }
    expect(isSkiffError(thrown, 'PluginInvalid')).toBe(true);
    expect((thrown as Error).message).toMatch(message);
  });

  it('lists every problem at once', () => {
    expect(() => definePlugin({ ...good, version: 'x', sdk: 'y' })).toThrow(
      /version "x" must be a semver version.*; sdk "y" must be a semver range/,
    );
  });
});

describe('token', () => {
  it('keeps the id as the token', () => {
    expect(token<number>('core.store')).toBe('core.store');
  });

  it.each(['store', 'Core.store', 'core.', 'core-store.x'])('refuses the id %s', (id) => {
    expect(() => token(id)).toThrow(/dotted lower camel case/);
  });
});
