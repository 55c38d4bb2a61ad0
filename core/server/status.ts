import { type ErrorCode, errorCatalogue, isSkiffError, SkiffError } from '../../sdk/errors.ts';

/** StatusBody is a Kubernetes `Status` object as the API server sends it. */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { reason: string; message: string; field?: string }[];
    retryAfterSeconds?: number;
  };
  code: number;
}

/** statusOf maps any thrown value to the HTTP code and Status body the client receives. */
export function statusOf(err: unknown): StatusBody {
  const e = isSkiffError(err)
    ? err
    : new SkiffError(
        'InternalError',
        `an internal error occurred: ${String((err as Error)?.message ?? err)}`,
      );
  const spec = errorCatalogue[e.code];
  const details: NonNullable<StatusBody['details']> = {};
  if (e.details.name !== undefined) details.name = e.details.name;
  if (e.details.group !== undefined && e.details.group !== '') details.group = e.details.group;
  if (e.details.kind !== undefined) details.kind = e.details.kind;
  if (e.details.retryAfterSeconds !== undefined)
    details.retryAfterSeconds = e.details.retryAfterSeconds;
  if (e.causes.length > 0) details.causes = e.causes.map((c) => ({ ...c }));
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: e.message,
    reason: spec.reason,
    ...(Object.keys(details).length > 0 ? { details } : {}),
    code: spec.http,
  };
}

/** successStatus is the Status some deletes and subresource posts answer with. */
export function successStatus(code = 200, details?: StatusBody['details']): StatusBody {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    ...(details === undefined ? {} : { details }),
    code,
  };
}

/** ResourceRef names an object in messages the way Kubernetes does (`pods "x"`). */
export interface ResourceRef {
  group: string;
  plural: string;
  name: string;
}

const qualified = (r: ResourceRef) => (r.group === '' ? r.plural : `${r.plural}.${r.group}`);

/** apiError builds the catalogue error Kubernetes answers for an object (`pods "x" not found`). */
export function apiError(
  code: Extract<ErrorCode, 'NotFound' | 'AlreadyExists' | 'Conflict'>,
  ref: ResourceRef,
): SkiffError {
  const what = `${qualified(ref)} ${JSON.stringify(ref.name)}`;
  const message =
    code === 'NotFound'
      ? `${what} not found`
      : code === 'AlreadyExists'
        ? `${what} already exists`
        : `Operation cannot be fulfilled on ${what}: the object has been modified; please apply your changes to the latest version and try again`;
  return new SkiffError(code, message, {
    details: { name: ref.name, group: ref.group, kind: ref.plural },
  });
}

/** warningHeader formats one `Warning` header value, escaping quotes so kubectl shows it. */
export function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(text)}`;
}
