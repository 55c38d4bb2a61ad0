import { describe, expect, it } from 'vitest';
import { builtinKindRegistry } from '../builtin-kinds.ts';
import { invalidError } from '../kinds.ts';
import type { KubeObject } from '../meta.ts';
import { sampleObjects } from '../samples.ts';
import { formatFieldError } from './field-error.ts';

const registry = builtinKindRegistry();
// biome-ignore lint/suspicious/noExplicitAny: samples are changed freely
type Obj = Record<string, any>;

function sample(kind: string): Obj {
  const make = sampleObjects[kind];
  if (make === undefined) throw new Error(`no sample of ${kind}`);
  return make();
}

function check(kind: string, mutate: (o: Obj) => void): string[] {
  const obj = sample(kind);
  mutate(obj);
  const def = registry.get(obj.apiVersion, obj.kind);
  if (def === undefined) throw new Error(`${obj.kind} is not registered`);
  return def.validate(def.default(obj as KubeObject)).map(formatFieldError);
}

const c0 = (o: Obj) => o.spec.containers[0];
const long = (n: number) => 'a'.repeat(n);

describe('every sample object is valid', () => {
  it.each(Object.keys(sampleObjects))('%s', (kind) => {
    expect(check(kind, () => {})).toEqual([]);
  });
});

describe('metadata and type rules of every kind', () => {
  it.each<[string, string, (o: Obj) => void, string]>([
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.name = long(253);
      },
      '',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.name = long(254);
      },
      `metadata.name: Invalid value: "${long(254)}": must be no more than 253 characters`,
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.name = 'Web';
      },
      'metadata.name: Invalid value: "Web": a lowercase RFC 1123 subdomain',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.name = 'web.';
      },
      'metadata.name: Invalid value: "web."',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.name = undefined;
      },
      'metadata.name: Required value: name or generateName is required',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.name = undefined;
        o.metadata.generateName = 'web-';
      },
      '',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.generateName = 'Web-';
      },
      'metadata.generateName: Invalid value: "Web-"',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.namespace = 'a.b';
      },
      'metadata.namespace: Invalid value: "a.b"',
    ],
    [
      'metadata',
      'Namespace',
      (o) => {
        o.metadata.name = long(63);
      },
      '',
    ],
    [
      'metadata',
      'Namespace',
      (o) => {
        o.metadata.name = long(64);
      },
      `metadata.name: Invalid value: "${long(64)}": must be no more than 63 characters`,
    ],
    [
      'metadata',
      'Namespace',
      (o) => {
        o.metadata.name = 'a.b';
      },
      'a lowercase RFC 1123 label must consist of',
    ],
    [
      'metadata',
      'Namespace',
      (o) => {
        o.metadata.namespace = 'x';
      },
      'metadata.namespace: Forbidden: not allowed on this type',
    ],
    [
      'metadata',
      'Service',
      (o) => {
        o.metadata.name = '1web';
      },
      'metadata.name: Invalid value: "1web": a DNS-1035 label',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.labels = { [long(63)]: long(63) };
      },
      '',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.labels = { [long(64)]: 'v' };
      },
      'metadata.labels: Invalid value: "' +
        long(64) +
        '": name part must be no more than 63 characters',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.labels = { k: long(64) };
      },
      `metadata.labels: Invalid value: "${long(64)}": must be no more than 63 characters`,
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.labels = { k: '-v' };
      },
      'metadata.labels: Invalid value: "-v": a valid label must be an empty string',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.labels = { k: '' };
      },
      '',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.labels = { 'example.com/k': 'v' };
      },
      '',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.labels = { 'Bad_Prefix/k': 'v' };
      },
      'prefix part a lowercase RFC 1123 subdomain',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.annotations = { 'a/b/c': 'v' };
      },
      'metadata.annotations: Invalid value: "a/b/c"',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.annotations = { k: long(256 * 1024) };
      },
      'metadata.annotations: Too long: must have at most 262144 bytes',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.annotations = { k: long(256 * 1024 - 1) };
      },
      '',
    ],
    [
      'metadata',
      'Pod',
      (o) => {
        o.metadata.ownerReferences = [
          { apiVersion: 'v1', kind: 'X', name: 'a', uid: '1', controller: true },
          { apiVersion: 'v1', kind: 'X', name: 'b', uid: '2', controller: true },
        ];
      },
      'Only one reference can have Controller set to true',
    ],
    [
      'types',
      'Pod',
      (o) => {
        o.spec.terminationGracePeriodSeconds = 'soon';
      },
      'spec.terminationGracePeriodSeconds: Invalid value: "soon": must be of type integer',
    ],
  ])('%s: %s %#', (_area, kind, mutate, expected) => {
    const errors = check(kind, mutate);
    if (expected === '') expect(errors).toEqual([]);
    else
      expect(
        errors.some((e) => e.includes(expected)),
        `${expected}\n in ${JSON.stringify(errors, null, 1)}`,
      ).toBe(true);
  });

  it('lists every bad field at once and words the 422 as Kubernetes does', () => {
    const obj = sample('Pod');
    c0(obj).name = '';
    c0(obj).image = '';
    obj.spec.restartPolicy = 'Sometimes';
    const def = registry.get('v1', 'Pod');
    if (def === undefined) throw new Error('Pod is not registered');
    const errors = def.validate(def.default(obj as KubeObject));
    expect(errors.map((e) => e.field)).toEqual([
      'spec.containers[0].name',
      'spec.containers[0].image',
      'spec.restartPolicy',
    ]);
    const err = invalidError(def, obj as KubeObject, errors);
    expect(err.message).toBe(
      'Pod "p" is invalid: [spec.containers[0].name: Required value, spec.containers[0].image: Required value, spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"]',
    );
    expect(err.causes.map((c) => c.reason)).toEqual([
      'FieldValueRequired',
      'FieldValueRequired',
      'FieldValueNotSupported',
    ]);
  });
});
