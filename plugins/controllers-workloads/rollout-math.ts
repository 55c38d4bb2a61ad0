// Numbers of a rollout: surge and unavailability limits, and the pod-template hash.

/** templateHashLabel is the label that ties a ReplicaSet and its pods to one template. */
export const templateHashLabel = 'pod-template-hash';
/** revisionAnnotation numbers the ReplicaSets of a Deployment in rollout order. */
export const revisionAnnotation = 'deployment.kubernetes.io/revision';

/**
 * scaledValue resolves an int-or-percent against a total: a number is itself, 'N%' is N percent
 * of the total, rounded up or down. Undefined for a malformed value.
 */
export function scaledValue(
  value: number | string | undefined,
  total: number,
  roundUp: boolean,
): number | undefined {
  if (value === undefined) return 0;
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const m = /^(\d+)%$/.exec(value);
  if (!m) return /^\d+$/.test(value) ? Number(value) : undefined;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * rollingLimits resolves maxSurge (rounded up) and maxUnavailable (rounded down); when both come
 * out 0, one pod may be unavailable so the rollout can move, as Kubernetes does.
 */
export function rollingLimits(
  maxSurge: number | string | undefined,
  maxUnavailable: number | string | undefined,
  replicas: number,
): { surge: number; unavailable: number } | string {
  const surge = scaledValue(maxSurge ?? '25%', replicas, true);
  const unavailable = scaledValue(maxUnavailable ?? '25%', replicas, false);
  if (surge === undefined)
    return `spec.strategy.rollingUpdate.maxSurge: invalid value ${JSON.stringify(maxSurge)}`;
  if (unavailable === undefined)
    return `spec.strategy.rollingUpdate.maxUnavailable: invalid value ${JSON.stringify(maxUnavailable)}`;
  if (surge === 0 && unavailable === 0) return { surge: 0, unavailable: 1 };
  return { surge, unavailable };
}

/** canonicalJson prints a value with object keys sorted, so equal templates hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

// Kubernetes spells hashes with consonants and digits that cannot form words.
const alphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** templateHash is a short FNV-1a (32-bit) hash of the template and collision count. */
export function templateHash(template: unknown, collisionCount = 0): string {
  let h = 0x811c9dc5;
  const text = canonicalJson(template) + (collisionCount > 0 ? String(collisionCount) : '');
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return String(h)
    .split('')
    .map((d) => alphabet[Number(d)])
    .join('');
}
