/** JsonValue is any value a JSON document holds. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
/** JsonObject is a JSON object. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** isJsonObject tells a JSON object from arrays, null and scalars. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** deepEqual compares two JSON values structurally (key order does not matter). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isJsonObject(a) && isJsonObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * PatchFormatError is how the patch algorithms report a bad patch; the entry point turns it
 * into the SkiffError Kubernetes answers with (`BadRequest`, or `Invalid` for 422 cases).
 */
export class PatchFormatError extends Error {
  readonly status: 'BadRequest' | 'Invalid';
  constructor(status: 'BadRequest' | 'Invalid', message: string) {
    super(message);
    this.name = 'PatchFormatError';
    this.status = status;
  }
}
