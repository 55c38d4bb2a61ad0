import { describe, expect, it } from 'vitest';
import {
  isConfigMapKey,
  isDnsLabel,
  isDnsSubdomain,
  isEnvVarName,
  isIanaSvcName,
  isLabelValue,
  isQualifiedName,
  nameIsDnsSubdomain,
} from './names.ts';

const ok = (problems: string[]) => problems.length === 0;
const label63 = `a${'b'.repeat(61)}c`;

describe('name rules at their boundaries', () => {
  it.each([
    [isDnsLabel, 'a', true],
    [isDnsLabel, label63, true],
    [isDnsLabel, `${label63}d`, false],
    [isDnsLabel, '-a', false],
    [isDnsLabel, 'a-', false],
    [isDnsLabel, 'A', false],
    [isDnsLabel, 'a.b', false],
    [isDnsLabel, '1-2', true],
    [isDnsLabel, '', false],
    [isDnsSubdomain, 'a.b-c.d', true],
    [isDnsSubdomain, `${label63}.${label63}.${label63}.${'e'.repeat(61)}`, true],
    [isDnsSubdomain, `${label63}.${label63}.${label63}.${'e'.repeat(62)}`, false],
    [isDnsSubdomain, 'a..b', false],
    [isDnsSubdomain, '.a', false],
    [isDnsSubdomain, 'a.', false],
    [isDnsSubdomain, 'a_b', false],
    [isQualifiedName, 'app', true],
    [isQualifiedName, 'App_1.x-y', true],
    [isQualifiedName, 'example.com/app', true],
    [isQualifiedName, `${'a'.repeat(63)}`, true],
    [isQualifiedName, `${'a'.repeat(64)}`, false],
    [isQualifiedName, `${'p'.repeat(253)}/a`, true],
    [isQualifiedName, `${'p'.repeat(254)}/a`, false],
    [isQualifiedName, '/app', false],
    [isQualifiedName, 'example.com/', false],
    [isQualifiedName, 'a/b/c', false],
    [isQualifiedName, '_app', false],
    [isQualifiedName, 'app.', false],
    [isQualifiedName, 'Example.com/app', false],
    [isLabelValue, '', true],
    [isLabelValue, 'v1.2_3-x', true],
    [isLabelValue, 'a'.repeat(63), true],
    [isLabelValue, 'a'.repeat(64), false],
    [isLabelValue, '-v', false],
    [isLabelValue, 'v-', false],
    [isLabelValue, 'a b', false],
    [isIanaSvcName, 'http', true],
    [isIanaSvcName, 'h2-c', true],
    [isIanaSvcName, 'a'.repeat(15), true],
    [isIanaSvcName, 'a'.repeat(16), false],
    [isIanaSvcName, '8080', false],
    [isIanaSvcName, 'a--b', false],
    [isIanaSvcName, '-http', false],
    [isIanaSvcName, 'HTTP', false],
    [isEnvVarName, 'MY_VAR.1-x', true],
    [isEnvVarName, '1VAR', false],
    [isEnvVarName, 'A B', false],
    [isConfigMapKey, 'app.properties', true],
    [isConfigMapKey, 'a/b', false],
    [isConfigMapKey, '..a', false],
  ])('%o(%j) ok=%s', (rule, value, expected) => {
    expect(ok(rule(value))).toBe(expected);
  });

  it('accepts a generateName ending in a dash', () => {
    expect(nameIsDnsSubdomain('web-', true)).toEqual([]);
    expect(nameIsDnsSubdomain('web-', false)).not.toEqual([]);
    expect(nameIsDnsSubdomain('Web-', true)).not.toEqual([]);
  });
});
