import { describe, expect, it } from 'vitest';
import {
  everything,
  formatLabelSelector,
  labelSelectorFromSpec,
  matchesLabels,
  nothing,
  parseLabelSelector,
  selectorFromLabels,
} from './label-selector.ts';

const labels = { app: 'web', tier: 'front', env: 'prod', empty: '' };

describe('parseLabelSelector', () => {
  it.each([
    ['app=web', true, 'app=web'],
    ['app==web', true, 'app==web'],
    ['app!=web', false, 'app!=web'],
    ['app!=db', true, 'app!=db'],
    ['missing!=x', true, 'missing!=x'],
    ['app in (web,db)', true, 'app in (db,web)'],
    ['app in (db)', false, 'app in (db)'],
    ['app notin (db,cache)', true, 'app notin (cache,db)'],
    ['app notin (web)', false, 'app notin (web)'],
    ['missing notin (web)', true, 'missing notin (web)'],
    ['app', true, 'app'],
    ['missing', false, 'missing'],
    ['!missing', true, '!missing'],
    ['!app', false, '!app'],
    ['tier=front,app=web', true, 'app=web,tier=front'],
    ['tier=front, app=db', false, 'app=db,tier=front'],
    ['empty=', true, 'empty='],
    ['example.com/role=x', false, 'example.com/role=x'],
    ['empty in (,x)', true, 'empty in (,x)'],
    ['', true, ''],
    ['  app = web  ', true, 'app=web'],
  ])('%j matches=%s and prints %j', (text, matches, canonical) => {
    const r = parseLabelSelector(text);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(matchesLabels(r.selector, labels)).toBe(matches);
    expect(formatLabelSelector(r.selector)).toBe(canonical);
    const again = parseLabelSelector(canonical);
    expect(again.ok && formatLabelSelector(again.selector)).toBe(canonical);
  });

  it.each([
    ['app=web,', 'end of input'],
    [',app', 'identifier'],
    ['app in web', "'('"],
    ['app in (web', "')'"],
    ['app notin (a b)', "','"],
    ['app=(x)', 'identifier'],
    ['a b', "'b'"],
    ['!app=web', "','"],
    ['=web', 'identifier'],
    ['-bad=x', 'invalid label key'],
    [`${'k'.repeat(64)}=x`, 'invalid label key'],
    [`app=${'v'.repeat(64)}`, 'invalid label value'],
    ['app=-x', 'invalid label value'],
    ['a/b/c=x', 'invalid label key'],
    ['app!x', 'expected'],
    ['app in ()', "values set can't be empty"],
  ])('rejects %j', (text, fragment) => {
    const r = parseLabelSelector(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(fragment);
  });
});

describe('labelSelectorFromSpec', () => {
  it.each([
    [{ matchLabels: { app: 'web' } }, true, 'app=web'],
    [{ matchLabels: { app: 'db' } }, false, 'app=db'],
    [
      { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }] },
      true,
      'env in (dev,prod)',
    ],
    [
      { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] },
      false,
      'env notin (prod)',
    ],
    [{ matchExpressions: [{ key: 'env', operator: 'Exists' }] }, true, 'env'],
    [{ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, false, '!env'],
    [{}, true, ''],
  ])('%j', (spec, matches, canonical) => {
    const r = labelSelectorFromSpec(spec);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(matchesLabels(r.selector, labels)).toBe(matches);
    expect(formatLabelSelector(r.selector)).toBe(canonical);
  });

  it.each([
    [{ matchExpressions: [{ key: 'env', operator: 'In', values: [] }] }, "can't be empty"],
    [{ matchExpressions: [{ key: 'env', operator: 'Exists', values: ['x'] }] }, 'must be empty'],
    [
      { matchExpressions: [{ key: 'env', operator: 'Like', values: ['x'] }] },
      'not a valid label selector operator',
    ],
    [{ matchLabels: { 'bad key': 'x' } }, 'invalid label key'],
    [{ matchLabels: { app: 'bad value' } }, 'invalid label value'],
  ])('rejects %j', (spec, fragment) => {
    const r = labelSelectorFromSpec(spec);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(fragment);
  });

  it('treats a missing selector as selecting nothing', () => {
    const r = labelSelectorFromSpec(undefined);
    expect(r.ok && r.selector).toBe(nothing);
    expect(matchesLabels(nothing, labels)).toBe(false);
    expect(matchesLabels(everything, labels)).toBe(true);
  });

  it('builds an equality selector from labels', () => {
    const s = selectorFromLabels({ tier: 'front', app: 'web' });
    expect(formatLabelSelector(s)).toBe('app=web,tier=front');
    expect(matchesLabels(s, labels)).toBe(true);
    expect(matchesLabels(s, { app: 'web' })).toBe(false);
  });
});
