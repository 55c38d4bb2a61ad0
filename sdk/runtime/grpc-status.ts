import { type ErrorCode, errorCatalogue, grpcCode, isSkiffError, SkiffError } from '../errors.ts';

/** GrpcStatus is a gRPC status a server answers with. */
export interface GrpcStatus {
  code: number;
  details: string;
}

const grpcToCatalogue: Record<number, ErrorCode> = {
  [grpcCode.INVALID_ARGUMENT]: 'Invalid',
  [grpcCode.NOT_FOUND]: 'NotFound',
  [grpcCode.ALREADY_EXISTS]: 'AlreadyExists',
  [grpcCode.PERMISSION_DENIED]: 'Forbidden',
  [grpcCode.UNAUTHENTICATED]: 'Unauthorized',
  [grpcCode.RESOURCE_EXHAUSTED]: 'TooManyRequests',
  [grpcCode.FAILED_PRECONDITION]: 'FailedPrecondition',
  [grpcCode.ABORTED]: 'Conflict',
  [grpcCode.OUT_OF_RANGE]: 'Expired',
  [grpcCode.UNIMPLEMENTED]: 'Unimplemented',
  [grpcCode.UNAVAILABLE]: 'ServiceUnavailable',
  [grpcCode.DEADLINE_EXCEEDED]: 'Timeout',
  [grpcCode.CANCELLED]: 'Timeout',
};

const grpcNames = Object.fromEntries(Object.entries(grpcCode).map(([k, v]) => [v, k])) as Record<
  number,
  string
>;

/** grpcCodeName names a gRPC status code (`NOT_FOUND`). */
export function grpcCodeName(code: number): string {
  return grpcNames[code] ?? `code ${code}`;
}

/**
 * toGrpcStatus is the one place a failure becomes a gRPC status: a SkiffError answers its
 * catalogue code's gRPC status, an error that already carries a gRPC status (a call relayed
 * to another runtime) keeps it, and anything else is a fault answered as UNKNOWN.
 */
export function toGrpcStatus(err: unknown): GrpcStatus {
  if (isSkiffError(err)) {
    return { code: errorCatalogue[err.code].grpc, details: err.message };
  }
  if (err instanceof RuntimeCallError) return { code: err.grpcCode, details: err.grpcDetails };
  const message = err instanceof Error ? err.message : String(err);
  return { code: grpcCode.UNKNOWN, details: message };
}

/**
 * RuntimeCallError is how a RuntimeClient call fails: a SkiffError whose code is the
 * catalogue code for the gRPC status, which it also keeps (grpcCode, grpcDetails).
 */
export class RuntimeCallError extends SkiffError {
  readonly grpcCode: number;
  readonly grpcDetails: string;
  readonly rpc: string;

  constructor(rpc: string, code: number, details: string) {
    super(grpcToCatalogue[code] ?? 'InternalError', `${rpc}: ${grpcCodeName(code)}: ${details}`);
    this.name = 'RuntimeCallError';
    this.rpc = rpc;
    this.grpcCode = code;
    this.grpcDetails = details;
  }
}

/** fromGrpcError turns a failed gRPC call into a RuntimeCallError. */
export function fromGrpcError(rpc: string, err: unknown): RuntimeCallError {
  const e = err as { code?: unknown; details?: unknown; message?: unknown };
  const code = typeof e?.code === 'number' ? e.code : grpcCode.UNKNOWN;
  const details =
    typeof e?.details === 'string' ? e.details : typeof e?.message === 'string' ? e.message : '';
  return new RuntimeCallError(rpc, code, details);
}
