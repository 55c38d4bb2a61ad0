import type { KubeObject } from '../../sdk/api/meta.ts';
import { SkiffError } from '../../sdk/errors.ts';

/** PropagationPolicy says what happens to an object's dependents when it is deleted. */
export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

/** orphanFinalizer holds an object until the garbage collector has released its dependents. */
export const orphanFinalizer = 'orphan';

/** foregroundFinalizer holds an object until the garbage collector has deleted its dependents. */
export const foregroundFinalizer = 'foregroundDeletion';

/** namespaceFinalizer is the spec finalizer the namespace controller removes once it is empty. */
export const namespaceFinalizer = 'kubernetes';

const policies: readonly string[] = ['Orphan', 'Background', 'Foreground'];

/**
 * propagationOf reads a delete's policy from propagationPolicy or the legacy orphanDependents
 * flag (true means Orphan); undefined when neither is given. Both at once, or a policy that is
 * not one of the three, is BadRequest.
 */
export function propagationOf(opts: {
  propagationPolicy?: unknown;
  orphanDependents?: unknown;
}): PropagationPolicy | undefined {
  const { propagationPolicy: policy, orphanDependents: orphan } = opts;
  if (policy !== undefined && orphan !== undefined)
    throw new SkiffError(
      'BadRequest',
      'orphanDependents and propagationPolicy cannot both be set; use propagationPolicy',
    );
  if (orphan !== undefined) {
    if (orphan === true || orphan === 'true') return 'Orphan';
    if (orphan === false || orphan === 'false') return 'Background';
    throw new SkiffError(
      'BadRequest',
      `orphanDependents must be true or false, got ${JSON.stringify(orphan)}`,
    );
  }
  if (policy === undefined) return undefined;
  if (typeof policy !== 'string' || !policies.includes(policy))
    throw new SkiffError(
      'BadRequest',
      `propagationPolicy must be one of "Orphan", "Background" or "Foreground", got ${JSON.stringify(policy)}`,
    );
  return policy as PropagationPolicy;
}

/**
 * finalizersForDelete is the object's metadata.finalizers once a delete with the policy is
 * applied: an explicit policy replaces the garbage collector's finalizer (orphan or
 * foregroundDeletion, or neither for Background); no policy keeps what the object has.
 */
export function finalizersForDelete(
  finalizers: readonly string[],
  policy: PropagationPolicy | undefined,
): string[] {
  if (policy === undefined) return [...finalizers];
  const kept = finalizers.filter((f) => f !== orphanFinalizer && f !== foregroundFinalizer);
  if (policy === 'Orphan') kept.push(orphanFinalizer);
  if (policy === 'Foreground') kept.push(foregroundFinalizer);
  return kept;
}

/**
 * blockingFinalizers lists what keeps an object from going: its metadata.finalizers, and for a
 * Namespace its spec.finalizers too.
 */
export function blockingFinalizers(object: KubeObject): string[] {
  const own = object.metadata?.finalizers ?? [];
  if (object.kind !== 'Namespace') return [...own];
  const spec = (object.spec ?? {}) as { finalizers?: string[] };
  return [...own, ...(spec.finalizers ?? [])];
}

/** withNamespaceFinalizer gives a new Namespace the `kubernetes` spec finalizer, as creation does. */
export function withNamespaceFinalizer(object: KubeObject): void {
  const spec = (object.spec ?? {}) as { finalizers?: string[] };
  const list = spec.finalizers ?? [];
  if (!list.includes(namespaceFinalizer)) spec.finalizers = [...list, namespaceFinalizer];
  object.spec = spec;
}
