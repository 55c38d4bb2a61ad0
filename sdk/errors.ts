/**
 * The error catalogue: every error skiff raises on purpose has a stable code here, with the
 * HTTP status and Kubernetes Status reason the API server answers with, and the gRPC status
 * code a runtime adapter answers with. CONTRIBUTING.md documents each code; a test fails when
 * one is missing there.
 */

/** grpcCode holds the gRPC status codes by name (values fixed by the gRPC protocol). */
export const grpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** ErrorSpec is one catalogue entry. */
export interface ErrorSpec {
  /** http is the status code of the Kubernetes Status the API server answers with. */
  readonly http: number;
  /** reason is the Kubernetes StatusReason (`NotFound`, `Invalid`, ...). */
  readonly reason: string;
  /** grpc is the gRPC status code a runtime adapter answers with. */
  readonly grpc: number;
  /** summary says in one line when the error happens. */
  readonly summary: string;
}

const spec = (http: number, reason: string, grpc: number, summary: string): ErrorSpec =>
  Object.freeze({ http, reason, grpc, summary });

/** errorCatalogue maps each stable error code to its spec. */
export const errorCatalogue = {
  BadRequest: spec(400, 'BadRequest', grpcCode.INVALID_ARGUMENT, 'the request is malformed'),
  Invalid: spec(
    422,
    'Invalid',
    grpcCode.INVALID_ARGUMENT,
    'an object fails validation; causes list each bad field',
  ),
  NotFound: spec(404, 'NotFound', grpcCode.NOT_FOUND, 'the object does not exist'),
  AlreadyExists: spec(
    409,
    'AlreadyExists',
    grpcCode.ALREADY_EXISTS,
    'an object with that name exists',
  ),
  Conflict: spec(
    409,
    'Conflict',
    grpcCode.ABORTED,
    'the object changed since the revision the write was based on',
  ),
  Expired: spec(
    410,
    'Expired',
    grpcCode.OUT_OF_RANGE,
    'the requested revision has been compacted away',
  ),
  Unauthorized: spec(
    401,
    'Unauthorized',
    grpcCode.UNAUTHENTICATED,
    'no valid credential was presented',
  ),
  Forbidden: spec(403, 'Forbidden', grpcCode.PERMISSION_DENIED, 'the caller may not do this'),
  MethodNotAllowed: spec(
    405,
    'MethodNotAllowed',
    grpcCode.UNIMPLEMENTED,
    'the resource does not support this verb',
  ),
  NotAcceptable: spec(
    406,
    'NotAcceptable',
    grpcCode.INVALID_ARGUMENT,
    'no offered media type can be produced',
  ),
  RequestEntityTooLarge: spec(
    413,
    'RequestEntityTooLarge',
    grpcCode.RESOURCE_EXHAUSTED,
    'the body or value is larger than allowed',
  ),
  UnsupportedMediaType: spec(
    415,
    'UnsupportedMediaType',
    grpcCode.INVALID_ARGUMENT,
    'the body has a content type that is not accepted',
  ),
  TooManyRequests: spec(
    429,
    'TooManyRequests',
    grpcCode.RESOURCE_EXHAUSTED,
    'the server is overloaded; retry later',
  ),
  InternalError: spec(500, 'InternalError', grpcCode.INTERNAL, 'a fault inside skiff'),
  ServiceUnavailable: spec(
    503,
    'ServiceUnavailable',
    grpcCode.UNAVAILABLE,
    'a component needed for this is not available',
  ),
  Timeout: spec(
    504,
    'Timeout',
    grpcCode.DEADLINE_EXCEEDED,
    'the operation did not finish within its deadline',
  ),
  Unimplemented: spec(
    501,
    'NotImplemented',
    grpcCode.UNIMPLEMENTED,
    'this runtime does not implement the call; its capabilities say so',
  ),
  FailedPrecondition: spec(
    409,
    'Conflict',
    grpcCode.FAILED_PRECONDITION,
    'the object is not in a state that allows this',
  ),
  PluginIncompatible: spec(
    500,
    'InternalError',
    grpcCode.FAILED_PRECONDITION,
    "a plugin's sdk range excludes the running sdk",
  ),
  PluginDuplicate: spec(
    500,
    'InternalError',
    grpcCode.FAILED_PRECONDITION,
    'two plugins share an id or provide the same extension',
  ),
  PluginMissingRequirement: spec(
    500,
    'InternalError',
    grpcCode.FAILED_PRECONDITION,
    'a plugin requires something no plugin or core service provides',
  ),
  PluginInvalid: spec(
    500,
    'InternalError',
    grpcCode.FAILED_PRECONDITION,
    'a plugin cannot be loaded or is not a valid plugin value',
  ),
  PluginDependencyCycle: spec(
    500,
    'InternalError',
    grpcCode.FAILED_PRECONDITION,
    "plugins require each other's extensions in a cycle, so none can register first",
  ),
  PluginRegisterFailed: spec(
    500,
    'InternalError',
    grpcCode.FAILED_PRECONDITION,
    "a plugin's register() failed; the plugins registered before it were closed again",
  ),
} as const satisfies Record<string, ErrorSpec>;

/** ErrorCode is a stable error code of the catalogue. */
export type ErrorCode = keyof typeof errorCatalogue;

/** StatusCause is one cause of an error: a bad field, with its path (`spec.containers[0].name`). */
export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

const brand = Symbol.for('skiff.error');

/**
 * SkiffError is an expected failure with a catalogue code. instanceof works across copies of
 * the sdk (a plugin may load its own copy), because it checks a global symbol, not a prototype.
 */
export class SkiffError extends Error {
  readonly code: ErrorCode;
  readonly causes: readonly StatusCause[];
  /** details names the object concerned, as in a Kubernetes Status. */
  readonly details: { name?: string; group?: string; kind?: string; retryAfterSeconds?: number };
  readonly [brand] = true;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { causes?: StatusCause[]; details?: SkiffError['details']; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SkiffError';
    this.code = code;
    this.causes = opts.causes ?? [];
    this.details = opts.details ?? {};
  }

  get spec(): ErrorSpec {
    return errorCatalogue[this.code];
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[brand] === true
    );
  }
}

/** isSkiffError tells whether a value is a SkiffError, optionally with a given code. */
export function isSkiffError(value: unknown, code?: ErrorCode): value is SkiffError {
  return value instanceof SkiffError && (code === undefined || value.code === code);
}
