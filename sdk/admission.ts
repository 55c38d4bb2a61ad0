import type { StatusCause } from './errors.ts';
import { defineExtensionKind } from './plugin.ts';

/**
 * The admission contract: after authentication and before a write reaches the store, the API
 * server runs every mutating admission plugin (in order), then every validating one. Refusing
 * a request is an expected outcome, so it is a value: `{ allowed: false }` with a message and
 * causes, which the API server answers as a Kubernetes Status (Invalid or Forbidden).
 */

/** AdmissionOperation is the kind of write being admitted. */
export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** AdmissionRequest describes one write. */
export interface AdmissionRequest {
  readonly operation: AdmissionOperation;
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
  /** object is the incoming object (absent on DELETE). */
  readonly object?: Readonly<Record<string, unknown>>;
  /** oldObject is the stored object (UPDATE and DELETE). */
  readonly oldObject?: Readonly<Record<string, unknown>>;
  readonly user: { readonly name: string; readonly groups: readonly string[] };
  readonly dryRun: boolean;
}

/** AdmissionDecision is allowed, or refused with the reason and the fields at fault. */
export type AdmissionDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      /** reason picks the Status: Invalid (bad fields) or Forbidden (not allowed for this user). */
      readonly reason: 'Invalid' | 'Forbidden';
      readonly message: string;
      readonly causes?: readonly StatusCause[];
    };

/** allowed is the shared admitting decision. */
export const allowed: AdmissionDecision = Object.freeze({ allowed: true as const });

/** Mutation is a mutating plugin's answer: the decision and, when allowed, the object to store. */
export type Mutation =
  | { readonly allowed: true; readonly object?: Readonly<Record<string, unknown>> }
  | Extract<AdmissionDecision, { allowed: false }>;

/** AdmissionPlugin is what an admission plugin provides; it may mutate, validate, or both. */
export interface AdmissionPlugin {
  /** handles tells whether the plugin looks at this request at all (cheap, no I/O). */
  handles(req: AdmissionRequest): boolean;
  /** mutate returns the object to continue with (defaults, injected sidecars, ...). */
  mutate?(req: AdmissionRequest): Promise<Mutation>;
  /** validate may refuse but never changes the object. */
  validate?(req: AdmissionRequest): Promise<AdmissionDecision>;
}

/** admissionExtension is the extension kind `admission/<name>`. */
export const admissionExtension = defineExtensionKind<AdmissionPlugin>('admission');
