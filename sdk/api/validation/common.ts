import { compareQuantities, parseQuantity } from '../quantity.ts';
import { type FieldError, fieldPath, invalid, keyPath, notSupported } from './field-error.ts';
import { isIanaSvcName, isQualifiedName } from './names.ts';

/** nonNegative reports a number below zero. */
export function nonNegative(path: string, value: number | undefined): FieldError[] {
  return value !== undefined && value < 0
    ? [invalid(path, value, 'must be greater than or equal to 0')]
    : [];
}

/** positive reports a number below one. */
export function positive(path: string, value: number | undefined): FieldError[] {
  return value !== undefined && value < 1 ? [invalid(path, value, 'must be greater than 0')] : [];
}

/** oneOf reports a value outside an enumeration; undefined passes (defaults fill it). */
export function oneOf(
  path: string,
  value: string | undefined,
  valid: readonly string[],
): FieldError[] {
  return value !== undefined && !valid.includes(value) ? [notSupported(path, value, valid)] : [];
}

/** portNumber reports a port outside 1..65535 (0 allowed when `zeroOk`). */
export function portNumber(path: string, value: number | undefined, zeroOk = false): FieldError[] {
  if (value === undefined || (zeroOk && value === 0)) return [];
  return value < 1 || value > 65535
    ? [invalid(path, value, 'must be between 1 and 65535, inclusive')]
    : [];
}

/** portNameOrNumber checks an int-or-string port: a number in range or an IANA service name. */
export function portNameOrNumber(path: string, value: number | string | undefined): FieldError[] {
  if (value === undefined) return [];
  if (typeof value === 'number') return portNumber(path, value);
  return isIanaSvcName(value).map((m) => invalid(path, value, m));
}

/** protocols are the transport protocols of ports. */
export const protocols = ['SCTP', 'TCP', 'UDP'];

/** validateResourceList checks resource names and quantities; returns parsed values by name. */
export function validateResourceList(
  list: Record<string, string | number> | undefined,
  path: string,
  out: FieldError[],
): Map<string, ReturnType<typeof parseQuantity>> {
  const parsed = new Map<string, ReturnType<typeof parseQuantity>>();
  for (const [name, raw] of Object.entries(list ?? {})) {
    const p = keyPath(path, name);
    for (const m of isQualifiedName(name)) out.push(invalid(p, name, m));
    const q = parseQuantity(raw);
    if (!q.ok) out.push(invalid(p, raw, q.message));
    else if (q.quantity.mantissa < 0n)
      out.push(invalid(p, raw, 'must be greater than or equal to 0'));
    parsed.set(name, q);
  }
  return parsed;
}

/** validateRequestsWithinLimits checks requests ≤ limits for every resource in both lists. */
export function validateRequestsWithinLimits(
  resources:
    | { limits?: Record<string, string | number>; requests?: Record<string, string | number> }
    | undefined,
  path: string,
): FieldError[] {
  const out: FieldError[] = [];
  const limits = validateResourceList(resources?.limits, fieldPath(path, 'limits'), out);
  const requests = validateResourceList(resources?.requests, fieldPath(path, 'requests'), out);
  for (const [name, req] of requests) {
    const lim = limits.get(name);
    if (lim?.ok && req.ok && compareQuantities(req.quantity, lim.quantity) > 0)
      out.push(
        invalid(
          keyPath(fieldPath(path, 'requests'), name),
          resources?.requests?.[name],
          `must be less than or equal to ${name} limit of ${resources?.limits?.[name]}`,
        ),
      );
  }
  return out;
}

/** intOrPercent checks maxSurge-style values: a non-negative count or "N%". */
export function intOrPercent(path: string, value: number | string | undefined): FieldError[] {
  if (value === undefined) return [];
  if (typeof value === 'number') return nonNegative(path, value);
  const m = /^(\d+)%$/.exec(value);
  if (m === null)
    return [
      invalid(
        path,
        value,
        "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      ),
    ];
  return Number(m[1]) > 100 ? [invalid(path, value, 'must not be greater than 100%')] : [];
}

/** isZeroIntOrPercent tells whether a maxSurge-style value means zero. */
export const isZeroIntOrPercent = (v: number | string | undefined): boolean =>
  v === 0 || v === '0%' || v === undefined;
