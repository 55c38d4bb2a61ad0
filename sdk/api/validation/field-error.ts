import { SkiffError, type StatusCause } from '../../errors.ts';

/** FieldErrorType is one of Kubernetes' field error types; it is the Status cause reason. */
export type FieldErrorType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid';

/** FieldError is one bad field: its path (`spec.containers[0].name`), type and detail. */
export interface FieldError {
  readonly type: FieldErrorType;
  readonly field: string;
  readonly value?: unknown;
  readonly detail: string;
}

/** fieldPath joins path segments: names with dots, numbers as `[i]`. */
export function fieldPath(base: string, ...parts: (string | number)[]): string {
  let out = base;
  for (const part of parts) {
    if (typeof part === 'number') out += `[${part}]`;
    else out = out === '' ? part : `${out}.${part}`;
  }
  return out;
}

/** keyPath addresses a map entry, as `metadata.labels[app]`. */
export const keyPath = (base: string, key: string): string => `${base}[${key}]`;

const make = (type: FieldErrorType, field: string, detail: string, value?: unknown): FieldError =>
  value === undefined ? { type, field, detail } : { type, field, detail, value };

/** required reports a missing field. */
export const required = (field: string, detail = ''): FieldError =>
  make('FieldValueRequired', field, detail);
/** invalid reports a field whose value breaks a rule. */
export const invalid = (field: string, value: unknown, detail: string): FieldError =>
  make('FieldValueInvalid', field, detail, value);
/** notSupported reports a value outside an enumeration. */
export const notSupported = (field: string, value: unknown, valid: readonly string[]): FieldError =>
  make(
    'FieldValueNotSupported',
    field,
    valid.length === 0 ? '' : `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}`,
    value,
  );
/** duplicate reports a value that must be unique and is not. */
export const duplicate = (field: string, value: unknown): FieldError =>
  make('FieldValueDuplicate', field, '', value);
/** forbidden reports a field that may not be set here. */
export const forbidden = (field: string, detail: string): FieldError =>
  make('FieldValueForbidden', field, detail);
/** tooLong reports a value longer than allowed. */
export const tooLong = (field: string, max: number): FieldError =>
  make('FieldValueTooLong', field, `must have at most ${max} bytes`);
/** notFound reports a reference to something that does not exist. */
export const notFound = (field: string, value: unknown): FieldError =>
  make('FieldValueNotFound', field, '', value);
/** typeInvalid reports a value of the wrong JSON type. */
export const typeInvalid = (field: string, value: unknown, detail: string): FieldError =>
  make('FieldValueTypeInvalid', field, detail, value);

const labels: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueTypeInvalid: 'Invalid value',
};

const withValue = new Set<FieldErrorType>([
  'FieldValueNotFound',
  'FieldValueDuplicate',
  'FieldValueInvalid',
  'FieldValueNotSupported',
  'FieldValueTypeInvalid',
]);

function printValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/** fieldErrorBody is the message without the path (`Required value`, `Invalid value: "x": ...`). */
export function fieldErrorBody(e: FieldError): string {
  let s = labels[e.type];
  if (withValue.has(e.type) && 'value' in e) s += `: ${printValue(e.value)}`;
  if (e.detail !== '') s += `: ${e.detail}`;
  return s;
}

/** formatFieldError prints one error as Kubernetes does: `path: body`. */
export function formatFieldError(e: FieldError): string {
  return e.field === '' ? fieldErrorBody(e) : `${e.field}: ${fieldErrorBody(e)}`;
}

/** toStatusCauses maps field errors to the causes of a 422 Status. */
export function toStatusCauses(errors: readonly FieldError[]): StatusCause[] {
  return errors.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field }));
}

/** invalidObjectError turns field errors into SkiffError('Invalid'), worded as Kubernetes does. */
export function invalidObjectError(
  target: { group: string; kind: string; name: string },
  errors: readonly FieldError[],
): SkiffError {
  const qualified = target.group === '' ? target.kind : `${target.kind}.${target.group}`;
  const list = errors.map(formatFieldError);
  const joined = list.length === 1 ? (list[0] ?? '') : `[${list.join(', ')}]`;
  return new SkiffError(
    'Invalid',
    `${qualified} ${JSON.stringify(target.name)} is invalid: ${joined}`,
    {
      causes: toStatusCauses(errors),
      details: { name: target.name, group: target.group, kind: target.kind },
    },
  );
}
