import { describe, expect, it } from 'vitest';
import { isSkiffError } from '../../errors.ts';
import {
  duplicate,
  forbidden,
  formatFieldError,
  invalid,
  invalidObjectError,
  notFound,
  notSupported,
  required,
  tooLong,
  typeInvalid,
} from './field-error.ts';

describe('field errors', () => {
  it.each([
    [required('spec.containers[0].name'), 'spec.containers[0].name: Required value'],
    [invalid('metadata.name', 'Foo', 'bad'), 'metadata.name: Invalid value: "Foo": bad'],
    [
      invalid('spec.replicas', -1, 'must be greater than or equal to 0'),
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    ],
    [
      notSupported('spec.restartPolicy', 'Sometimes', ['Always', 'Never']),
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never"',
    ],
    [duplicate('spec.containers[1].name', 'a'), 'spec.containers[1].name: Duplicate value: "a"'],
    [forbidden('spec.x', 'may not be set'), 'spec.x: Forbidden: may not be set'],
    [
      tooLong('metadata.annotations', 262144),
      'metadata.annotations: Too long: must have at most 262144 bytes',
    ],
    [
      notFound('spec.containers[0].volumeMounts[0].name', 'data'),
      'spec.containers[0].volumeMounts[0].name: Not found: "data"',
    ],
    [
      typeInvalid('spec.replicas', 'x', 'expected integer'),
      'spec.replicas: Invalid value: "x": expected integer',
    ],
  ])('%j prints as Kubernetes does', (error, text) => {
    expect(formatFieldError(error)).toBe(text);
  });

  it('turns a list into an Invalid SkiffError with causes', () => {
    const one = invalidObjectError({ group: '', kind: 'Pod', name: 'x' }, [
      required('spec.containers[0].name'),
    ]);
    expect(isSkiffError(one, 'Invalid')).toBe(true);
    expect(one.message).toBe('Pod "x" is invalid: spec.containers[0].name: Required value');
    expect(one.causes).toEqual([
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].name' },
    ]);
    expect(one.spec.http).toBe(422);
    const two = invalidObjectError({ group: 'apps', kind: 'Deployment', name: 'd' }, [
      required('spec.selector'),
      invalid('spec.replicas', -1, 'must be greater than or equal to 0'),
    ]);
    expect(two.message).toBe(
      'Deployment.apps "d" is invalid: [spec.selector: Required value, spec.replicas: Invalid value: -1: must be greater than or equal to 0]',
    );
    expect(two.details).toEqual({ name: 'd', group: 'apps', kind: 'Deployment' });
  });
});
