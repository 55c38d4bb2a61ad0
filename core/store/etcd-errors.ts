import { isBrokenCircuitError } from 'cockatiel';
import { ClientClosedError, GRPCDeadlineExceededError, GRPCUnavailableError } from 'etcd3';
import { SkiffError } from '../../sdk/errors.ts';

/** etcdError turns a failure of an etcd call into the store's typed error. */
export function etcdError(error: unknown, what: string): SkiffError {
  if (error instanceof SkiffError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (/required revision has been compacted/.test(message)) {
    return new SkiffError('Expired', `${what}: the revision has been compacted (${message})`, {
      cause: error,
    });
  }
  if (/future revision/.test(message)) {
    return new SkiffError('BadRequest', `${what}: the revision is newer than the store's`, {
      cause: error,
    });
  }
  if (/request is too large/i.test(message)) {
    return new SkiffError('RequestEntityTooLarge', `${what}: ${message}`, { cause: error });
  }
  if (error instanceof GRPCDeadlineExceededError || code === 4 || /deadline/i.test(message)) {
    return new SkiffError('Timeout', `${what}: etcd did not answer within the deadline`, {
      cause: error,
    });
  }
  if (
    isBrokenCircuitError(error) ||
    error instanceof GRPCUnavailableError ||
    error instanceof ClientClosedError ||
    code === 14 ||
    /unavailable|ECONNREFUSED|no connection|leader/i.test(message)
  ) {
    return new SkiffError('ServiceUnavailable', `${what}: etcd is unavailable (${message})`, {
      cause: error,
    });
  }
  return new SkiffError('InternalError', `${what}: ${message}`, { cause: error });
}
