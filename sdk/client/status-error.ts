import { type ErrorCode, errorCatalogue, SkiffError, type StatusCause } from '../errors.ts';

const byReason = new Map<string, ErrorCode>();
for (const [code, spec] of Object.entries(errorCatalogue) as [ErrorCode, { reason: string }][])
  if (!byReason.has(spec.reason)) byReason.set(spec.reason, code);

const byHttp: Record<number, ErrorCode> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  501: 'Unimplemented',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** statusError turns a Kubernetes Status (or any failed response body) into a SkiffError. */
export function statusError(httpStatus: number, body: unknown): SkiffError {
  const status = (typeof body === 'object' && body !== null ? body : {}) as {
    reason?: string;
    message?: string;
    code?: number;
    details?: {
      name?: string;
      group?: string;
      kind?: string;
      retryAfterSeconds?: number;
      causes?: StatusCause[];
    };
  };
  const http = typeof status.code === 'number' ? status.code : httpStatus;
  // 410 is Expired on the wire whatever the reason says (etcd's "Gone" included).
  const code: ErrorCode =
    http === 410
      ? 'Expired'
      : ((status.reason ? byReason.get(status.reason) : undefined) ??
        byHttp[http] ??
        'InternalError');
  const message =
    status.message ??
    (typeof body === 'string' && body !== '' ? body : `the server answered HTTP ${http}`);
  const { causes, ...details } = status.details ?? {};
  return new SkiffError(code, message, { causes: causes ?? [], details });
}
