import { describe, expect, it } from 'vitest';
import {
  formatFieldSelector,
  matchesFields,
  parseFieldSelector,
  unsupportedFields,
} from './field-selector.ts';

const pod = {
  metadata: { name: 'web-1', namespace: 'default' },
  status: { phase: 'Running' },
  spec: { nodeName: '' },
};
const get = (o: typeof pod, f: string) =>
  ({
    'metadata.name': o.metadata.name,
    'metadata.namespace': o.metadata.namespace,
    'status.phase': o.status.phase,
    'spec.nodeName': o.spec.nodeName,
  })[f];

describe('parseFieldSelector', () => {
  it.each([
    ['metadata.name=web-1', true],
    ['metadata.name==web-1', true],
    ['metadata.name!=web-1', false],
    ['status.phase=Running,metadata.namespace=default', true],
    ['status.phase!=Pending,metadata.namespace=kube-system', false],
    ['spec.nodeName=', true],
    ['spec.nodeName!=', false],
    ['', true],
  ])('%j matches=%s', (text, matches) => {
    const r = parseFieldSelector(text);
    expect(r.ok).toBe(true);
    if (r.ok) expect(matchesFields(r.requirements, pod, get)).toBe(matches);
  });

  it('reads escaped separators in values and prints them back', () => {
    const r = parseFieldSelector('metadata.name=a\\,b\\=c');
    expect(r.ok && r.requirements).toEqual([
      { field: 'metadata.name', operator: '=', value: 'a,b=c' },
    ]);
    if (r.ok) expect(formatFieldSelector(r.requirements)).toBe('metadata.name=a\\,b\\=c');
  });

  it.each(['metadata.name', 'status.phase=Running,oops', '=x', 'a=b\\x'])('rejects %j', (text) => {
    const r = parseFieldSelector(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('invalid selector');
  });

  it('names fields the getter does not support', () => {
    const r = parseFieldSelector('metadata.name=x,spec.bogus=y');
    expect(r.ok && unsupportedFields(r.requirements, ['metadata.name'])).toEqual(['spec.bogus']);
  });
});
