import type { LabelSelector, ObjectMeta } from '../meta.ts';
import {
  type FieldError,
  fieldPath,
  forbidden,
  invalid,
  notSupported,
  required,
  tooLong,
} from './field-error.ts';
import { isLabelValue, isQualifiedName, type NameRule, nameIsDnsLabel } from './names.ts';

/** annotationsMaxBytes is the total size limit of an object's annotations (256 KiB). */
export const annotationsMaxBytes = 256 * 1024;

/** validateLabels checks every label key and value. */
export function validateLabels(
  labels: Record<string, string> | undefined,
  path: string,
): FieldError[] {
  const out: FieldError[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    for (const m of isQualifiedName(key)) out.push(invalid(path, key, m));
    for (const m of isLabelValue(value)) out.push(invalid(path, value, m));
  }
  return out;
}

/** validateAnnotations checks annotation keys and the total size. */
export function validateAnnotations(
  annotations: Record<string, string> | undefined,
  path: string,
): FieldError[] {
  const out: FieldError[] = [];
  let size = 0;
  for (const [key, value] of Object.entries(annotations ?? {})) {
    // Annotation keys are checked case-insensitively, as Kubernetes does.
    for (const m of isQualifiedName(key.toLowerCase())) out.push(invalid(path, key, m));
    size += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (size > annotationsMaxBytes) out.push(tooLong(path, annotationsMaxBytes));
  return out;
}

const selectorOps = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** validateLabelSelector checks the matchLabels/matchExpressions form. */
export function validateLabelSelector(sel: LabelSelector | undefined, path: string): FieldError[] {
  if (sel === undefined) return [];
  const out = validateLabels(sel.matchLabels, fieldPath(path, 'matchLabels'));
  (sel.matchExpressions ?? []).forEach((expr, i) => {
    const p = fieldPath(path, 'matchExpressions', i);
    for (const m of isQualifiedName(expr.key)) out.push(invalid(fieldPath(p, 'key'), expr.key, m));
    const values = expr.values ?? [];
    if (!selectorOps.includes(expr.operator)) {
      out.push(notSupported(fieldPath(p, 'operator'), expr.operator, selectorOps));
    } else if ((expr.operator === 'In' || expr.operator === 'NotIn') && values.length === 0) {
      out.push(
        required(fieldPath(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"),
      );
    } else if (
      (expr.operator === 'Exists' || expr.operator === 'DoesNotExist') &&
      values.length > 0
    ) {
      out.push(
        forbidden(
          fieldPath(p, 'values'),
          "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        ),
      );
    }
    values.forEach((v, j) => {
      for (const m of isLabelValue(v)) out.push(invalid(fieldPath(p, 'values', j), v, m));
    });
  });
  return out;
}

/** MetaRules say how a kind names its objects and whether they live in a namespace. */
export interface MetaRules {
  readonly namespaced: boolean;
  readonly nameRule: NameRule;
}

/** validateObjectMeta checks name, generateName, namespace, labels, annotations and owners. */
export function validateObjectMeta(meta: ObjectMeta | undefined, rules: MetaRules): FieldError[] {
  const out: FieldError[] = [];
  const m = meta ?? {};
  const name = m.name ?? '';
  const generateName = m.generateName ?? '';
  if (generateName !== '')
    for (const msg of rules.nameRule(generateName, true))
      out.push(invalid('metadata.generateName', generateName, msg));
  if (name === '') {
    if (generateName === '')
      out.push(required('metadata.name', 'name or generateName is required'));
  } else {
    for (const msg of rules.nameRule(name, false)) out.push(invalid('metadata.name', name, msg));
  }
  const ns = m.namespace ?? '';
  if (rules.namespaced) {
    if (ns !== '')
      for (const msg of nameIsDnsLabel(ns, false)) out.push(invalid('metadata.namespace', ns, msg));
  } else if (ns !== '') {
    out.push(forbidden('metadata.namespace', 'not allowed on this type'));
  }
  if (m.generation !== undefined && m.generation < 0)
    out.push(invalid('metadata.generation', m.generation, 'must be greater than or equal to 0'));
  if (m.deletionGracePeriodSeconds !== undefined && m.deletionGracePeriodSeconds < 0)
    out.push(
      invalid(
        'metadata.deletionGracePeriodSeconds',
        m.deletionGracePeriodSeconds,
        'must be greater than or equal to 0',
      ),
    );
  out.push(...validateLabels(m.labels, 'metadata.labels'));
  out.push(...validateAnnotations(m.annotations, 'metadata.annotations'));
  let controllers = 0;
  (m.ownerReferences ?? []).forEach((ref, i) => {
    const p = fieldPath('metadata.ownerReferences', i);
    if (ref.apiVersion === '')
      out.push(invalid(fieldPath(p, 'apiVersion'), ref.apiVersion, 'version must not be empty'));
    if (ref.kind === '')
      out.push(invalid(fieldPath(p, 'kind'), ref.kind, 'kind must not be empty'));
    if (ref.name === '')
      out.push(invalid(fieldPath(p, 'name'), ref.name, 'name must not be empty'));
    if (ref.uid === '') out.push(invalid(fieldPath(p, 'uid'), ref.uid, 'uid must not be empty'));
    if (ref.controller === true) controllers += 1;
  });
  if (controllers > 1)
    out.push(
      invalid(
        'metadata.ownerReferences',
        m.ownerReferences,
        'Only one reference can have Controller set to true',
      ),
    );
  (m.finalizers ?? []).forEach((f, i) => {
    for (const msg of isQualifiedName(f))
      out.push(invalid(fieldPath('metadata.finalizers', i), f, msg));
  });
  return out;
}
